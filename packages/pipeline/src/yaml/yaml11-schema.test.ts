import { describe, expect, it } from 'vitest';
import { Document, isScalar, type ScalarTag } from 'yaml';
import { createPlainScalarResolver, YAML_OPTIONS } from './yaml11-schema.js';

/** The yaml package's composer, spelled out: the first default tag whose test matches resolves it. */
function resolvedByYaml(text: string, atKey: boolean): unknown {
  const document = new Document(null, YAML_OPTIONS);
  const tag = document.schema.tags.find(
    (each): each is ScalarTag =>
      !('collection' in each && each.collection) &&
      (each.default === true || (atKey && each.default === 'key')) &&
      ((each as ScalarTag).test?.test(text) ?? false),
  );
  if (!tag) return text;
  const resolved = tag.resolve(text, () => undefined, document.options);
  return isScalar(resolved) ? resolved.value : resolved;
}

describe('createPlainScalarResolver', () => {
  const resolver = createPlainScalarResolver();

  it('resolves as YAML 1.1 does in the yaml package', () => {
    expect(resolver.resolve('yes', false)).toBe(true);
    expect(resolver.resolve('Off', false)).toBe(false);
    expect(resolver.resolve('0755', false)).toBe(493);
    expect(resolver.resolve('0x1F', false)).toBe(31);
    expect(resolver.resolve('1_000', false)).toBe(1000);
    expect(resolver.resolve('190:20:30', false)).toBe(685230);
    expect(resolver.resolve('~', false)).toBeNull();
    expect(resolver.resolve('', false)).toBeNull();
    expect(resolver.resolve('.inf', false)).toBe(Number.POSITIVE_INFINITY);
    expect(resolver.resolve('2001-12-14', false)).toBeInstanceOf(Date);
    expect(resolver.resolve('node:22', false)).toBe('node:22');
    expect(typeof resolver.resolve('<<', true)).toBe('symbol');
    expect(resolver.resolve('<<', false)).toBe('<<');
  });

  it('skips only texts that no YAML 1.1 tag of the yaml package matches', () => {
    const suffixes = ['', '0', '1', '5', 'o', 'O', 'n', 'N', 'es', 'ES', 'rue', 'RUE', 'alse', 'ff', 'FF'];
    suffixes.push('ull', 'ULL', 'inf', 'nan', 'x1f', 'b1', '<', '.5', 'e5', ':30', '001-12-14', '2');
    const mismatches: string[] = [];
    for (let code = 0; code < 0x3000; code++) {
      if (code >= 0xd800 && code < 0xe000) continue;
      for (const suffix of suffixes) {
        const text = String.fromCharCode(code) + suffix;
        for (const atKey of [false, true]) {
          const expected = resolvedByYaml(text, atKey);
          const actual = resolver.resolve(text, atKey);
          const same =
            Object.is(actual, expected) ||
            (typeof actual === 'symbol' && typeof expected === 'symbol') ||
            (actual instanceof Date && expected instanceof Date && actual.getTime() === expected.getTime());
          if (!same) mismatches.push(JSON.stringify(text));
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
