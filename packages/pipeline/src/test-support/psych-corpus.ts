import fc from 'fast-check';

/**
 * YAML texts for the Psych differential test (`psych-differential.test.ts`): hand-written edge
 * cases, and documents generated from a fixed seed with fast-check (the same texts on every run).
 * Test support only; the package does not export it.
 */

/** Scalars whose meaning differs between YAML 1.1, the `yaml` package, js-yaml and Psych. */
export const TRICKY_SCALARS = [
  'y',
  'Y',
  'n',
  'N',
  'yes',
  'Yes',
  'YES',
  'yEs',
  'no',
  'on',
  'On',
  'oN',
  'off',
  'OFF',
  'true',
  'True',
  'tRUE',
  'false',
  'FALSE',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  '0',
  '-0',
  '+1',
  '007',
  '0755',
  '08',
  '0_7',
  '00',
  '1_000',
  '1,000',
  '1__0',
  '0x1F',
  '0X1F',
  '0x_1',
  '0b101',
  '0b',
  '12:30',
  '190:20:30',
  '-1:30',
  '1:30.5',
  '1:60',
  '.5',
  '+.5',
  '-.5',
  '1.',
  '1.0',
  '1.10',
  '-0.0',
  '1e3',
  '1E3',
  '1.0e+3',
  '1.0e3',
  '1.5e-7',
  '100000000000000000.0',
  '0.00001',
  '.inf',
  '-.Inf',
  '+.INF',
  '.NaN',
  '.nan',
  '12345678901234567890',
  '9007199254740993',
  ':sym',
  '::1',
  ':"quoted sym"',
  '2024-01-01',
  '2024-1-1',
  '2024-13-01',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '=',
  '<<',
  'node:22',
  'a:b',
  'a,b',
  'echo $HOME',
  '$[[ inputs.x ]]',
  'é',
  'ä-ö',
  '日本',
  'x y',
  'on the fly',
  'ja',
  'Yesterday',
] as const;

/** Hand-written documents: each a small CI-like text around one edge of the YAML grammar. */
export const EDGE_CASES: readonly string[] = [
  'Y: 1\nN: 2\ny: 3\nn: 4\non: 5\noff: 6\nyes: 7\n',
  'variables:\n  A: y\n  B: yes\n  C: 1.0\n  D: 1.10\n  E: 0755\n  F: 08\n  G: 1,000\n',
  'a: 2024-01-01\n',
  'a: "2024-01-01"\n',
  'a: 2001-12-14 21:59:43.10 -5\n',
  '2024-01-01: a\n',
  'a: 0x_\n',
  'a: :sym\nb: ::1\n:c: 1\nc: 2\n',
  '1: a\n1.0: b\n~: c\ntrue: d\n"true": e\n',
  'a: &x {k: 1, j: 2}\nb:\n  k: 0\n  <<: *x\n  j: 3\n',
  'a: &x {k: 1}\nb: &y {k: 2, m: 2}\nc:\n  <<: [*x, *y]\n',
  'a: &x [1, 2]\nb:\n  <<: *x\n',
  'b:\n  <<: plain\n',
  'a: &x {k: 1}\nb:\n  "<<": *x\n',
  'a: &x {k: 1}\nb:\n  !!str <<: *x\n',
  'a: &x {k: 1}\nb:\n  <<: [*x, [1]]\n',
  'a: *undefined\n',
  'a: &x 1\nb: *x\nc: &x 2\nd: *x\n',
  'a: !reference [.job, script]\n',
  'a: !reference [.job, 1]\n',
  'a: !reference [.job, yes]\n',
  'a: !reference []\n',
  'a: !reference [".job", "1"]\n',
  'a: [!reference [.a, b], c]\n',
  'a: !!str 123\nb: !!int "12"\nc: !!float 1\nd: !!float abc\ne: !custom value\n',
  'a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  stripped\nd: |+\n  kept\n\ne: x\n',
  "a: \"esc \\x41 \\u00e9 \\t \\\\ \\\" end\"\nb: 'it''s'\n",
  'a: plain\n  continued\n  lines\nb: "double\n  quoted"\n',
  'a:\n- 1\n- 2\nb:\n  - 3\n',
  'a:\n   b:\n      c: 1\n   d: 2\n',
  'job:\n  parallel:\n    matrix:\n      - FLAGS: [\n          "a",\n          "b"\n      ]\n  script: echo\n',
  'a: [1, [2, 3], {b: 4}]\nc: {d: [5], e: {f: g}}\n',
  'a: [\n  1,\n  2,\n]\n',
  'a: {b: 1,}\n',
  '? complex\n: value\n',
  '? [a, b]\n: value\n',
  'a: 1\na: 2\nb: 3\n',
  'a:\nb: ~\nc: null\nd: ""\n',
  '- 1\n- two\n- [3]\n',
  'a: b: c\n',
  'a: [1, 2\n',
  'a:\tb\n',
  'a: 1\r\nb: 2\r\n',
  '\uFEFFa: 1\n',
  '# only a comment\n',
  '',
  '---\na: 1\n',
  'spec:\n  inputs:\n    x:\n      default: 1\n---\njob:\n  script: echo\n',
  'a: 1\n...\n',
  'a: "unterminated\n',
  "a: 'single\n  folded'\n",
  'a: b #comment\nc: "d" # c2\n',
  'a: b#not comment\n',
  'key with spaces: v\n"quoted key": v\n\'single key\': v\n',
  'a: - b\n',
  'a: -b\nc: - \n',
  '- - a\n  - b\n- - c\n',
  '- a: 1\n  b: 2\n- c: 3\n',
  'a: &anchor\n  b: 1\nc: *anchor\n',
  'a: !!binary aGVsbG8=\n',
  'a: 0o17\nb: 0B1\nc: +0x1f\n',
  'a: 1_000.5\nb: 1,000.5\nc: ._5\n',
  'a: -\n',
  'a: [a, b]: c\n',
  'a: {x: 1}\n  b: 2\n',
  'x: %not a directive\n',
  '%YAML 1.1\n---\na: 1\n',
  'a: @reserved\n',
  'a: `reserved\n',
  'a: >-\n  one\n\n  two\n',
  'script:\n  - echo "a: b"\n  - \'echo #x\'\n  - echo {x}\n',
  'a: {x: 1, x: 2}\n',
  'a: *x\nb: &x 1\n',
  '&x a: 1\n',
  'a: &x\n  - 1\nb: [*x, *x]\n',
];

type Shape =
  | { readonly kind: 'scalar'; readonly text: string; readonly style: number }
  | {
      readonly kind: 'map';
      readonly pairs: readonly [string, Shape][];
      readonly flow: boolean;
      readonly anchor: boolean;
    }
  | {
      readonly kind: 'seq';
      readonly items: readonly Shape[];
      readonly flow: boolean;
      readonly anchor: boolean;
    }
  | { readonly kind: 'alias'; readonly pick: number }
  | { readonly kind: 'merge'; readonly picks: readonly number[] }
  | { readonly kind: 'reference'; readonly path: readonly string[] };

const word = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,7}$/);
const scalarText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY_SCALARS) },
  { weight: 3, arbitrary: word },
  { weight: 1, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => String(n)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const keyText = fc.oneof(
  { weight: 5, arbitrary: word },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY_SCALARS) },
  { weight: 1, arbitrary: fc.constantFrom('script', 'variables', 'needs', 'rules', 'stage', 'image') },
);

const shape: fc.Arbitrary<Shape> = fc.letrec<{ node: Shape }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      weight: 5,
      arbitrary: fc.record({ kind: fc.constant('scalar' as const), text: scalarText, style: fc.nat(9) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('map' as const),
        pairs: fc.array(fc.tuple(keyText, tie('node')), { minLength: 1, maxLength: 4 }),
        flow: fc.boolean(),
        anchor: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('seq' as const),
        items: fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
        flow: fc.boolean(),
        anchor: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('alias' as const), pick: fc.nat(5) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('merge' as const),
        picks: fc.array(fc.nat(5), { minLength: 1, maxLength: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('reference' as const),
        path: fc.array(fc.oneof(word, fc.constantFrom('1', 'yes', '.job')), { minLength: 0, maxLength: 3 }),
      }),
    },
  ) as fc.Arbitrary<Shape>,
})).node;

const documentShape = fc.record({
  pairs: fc.array(fc.tuple(keyText, shape), { minLength: 1, maxLength: 5 }),
  indent: fc.constantFrom(2, 2, 3, 4),
  compactSeq: fc.boolean(),
});

/** `count` documents generated from `seed`: the same texts for the same arguments. */
export function generatedDocuments(seed: number, count: number): string[] {
  return fc
    .sample(documentShape, { seed, numRuns: count })
    .map((document) => new Renderer(document.indent, document.compactSeq).document(document.pairs));
}

/** Writes a shape as YAML text, in block or flow style, with the scalar styles its `style` picks. */
class Renderer {
  #anchors: string[] = [];

  constructor(
    private readonly indent: number,
    private readonly compactSeq: boolean,
  ) {}

  document(pairs: readonly [string, Shape][]): string {
    return this.blockMap(pairs, 0);
  }

  private pad(level: number): string {
    return ' '.repeat(level);
  }

  private blockMap(pairs: readonly [string, Shape][], level: number): string {
    return pairs
      .map(([key, value]) => {
        if (value.kind === 'merge') return `${this.pad(level)}<<: ${this.mergeValue(value)}\n`;
        return `${this.pad(level)}${this.key(key)}:${this.blockValue(value, level)}`;
      })
      .join('');
  }

  /** A value after `key:` or `-`: inline, or a nested block on the next lines. */
  private blockValue(value: Shape, level: number): string {
    if ((value.kind === 'map' || value.kind === 'seq') && !value.flow) {
      const anchor = value.anchor ? ` &${this.anchor(value)}` : '';
      if (value.kind === 'map') return `${anchor}\n${this.blockMap(value.pairs, level + this.indent)}`;
      const seqLevel = this.compactSeq ? level : level + this.indent;
      return `${anchor}\n${value.items.map((item) => `${this.pad(seqLevel)}-${this.blockValue(item, seqLevel)}`).join('')}`;
    }
    if (value.kind === 'scalar' && value.style === 8)
      return ` |\n${this.blockLines(value.text, level + this.indent)}`;
    if (value.kind === 'scalar' && value.style === 9)
      return ` >-\n${this.blockLines(value.text, level + this.indent)}`;
    return ` ${this.inline(value)}\n`;
  }

  private blockLines(text: string, level: number): string {
    return `${text
      .split('\n')
      .map((line) => `${this.pad(level)}${line}`)
      .join('\n')}\n`;
  }

  private inline(value: Shape): string {
    switch (value.kind) {
      case 'scalar':
        return this.scalar(value.text, value.style);
      case 'alias':
        return this.#anchors.length > 0
          ? `*${this.#anchors[value.pick % this.#anchors.length]}`
          : 'no-anchor';
      case 'merge':
        return `{<<: ${this.mergeValue(value)}}`;
      case 'reference':
        return `!reference [${value.path.join(', ')}]`;
      case 'map': {
        const anchor = value.anchor ? `&${this.anchor(value)} ` : '';
        return `${anchor}{${value.pairs.map(([key, item]) => `${this.key(key)}: ${this.inline(item)}`).join(', ')}}`;
      }
      case 'seq': {
        const anchor = value.anchor ? `&${this.anchor(value)} ` : '';
        return `${anchor}[${value.items.map((item) => this.inline(item)).join(', ')}]`;
      }
    }
  }

  private mergeValue(value: { readonly picks: readonly number[] }): string {
    if (this.#anchors.length === 0) return '{}';
    const names = value.picks.map((pick) => `*${this.#anchors[pick % this.#anchors.length]}`);
    return names.length === 1 ? names[0]! : `[${names.join(', ')}]`;
  }

  private anchor(value: Shape): string {
    const name = `a${this.#anchors.length}${value.kind[0]}`;
    this.#anchors.push(name);
    return name;
  }

  private key(text: string): string {
    return /^[A-Za-z0-9_][A-Za-z0-9_ .-]*$/.test(text) && !text.endsWith(' ') ? text : JSON.stringify(text);
  }

  /** Styles 0–4 plain, 5 single-quoted, 6–7 double-quoted (block styles are written by the caller). */
  private scalar(text: string, style: number): string {
    if (style === 5) return `'${text.replace(/'/g, "''").replace(/\n/g, '\n\n')}'`;
    if (style >= 6) return JSON.stringify(text);
    return text.replace(/\n/g, ' ');
  }
}
