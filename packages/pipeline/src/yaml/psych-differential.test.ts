import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IssueCollector, PipelineConfigError } from '../errors.js';
import { EDGE_CASES, generatedDocuments } from '../test-support/psych-corpus.js';
import { composeFast } from './compose-fast.js';
import { composeLines } from './compose-lines.js';
import { composeReference } from './compose-reference.js';
import { convertDocuments, isYamlMap, loadYamlDocuments, type YamlValue } from './load-yaml.js';
import { ReferenceTag } from './reference-tag.js';
import { RubyFloat, RubySymbol } from './ruby-scalars.js';
import { SourceMap } from './source-map.js';
import type { ComposedYaml } from './yaml-node.js';

/**
 * GitLab reads CI files with Ruby's Psych. This test gives the same texts to `ruby -ryaml` (loading
 * them as GitLab does, `test/psych-oracle.rb`) and to glci's YAML readers, and requires the same
 * values (with Ruby's types: Integer, Float, String, Symbol, nil, booleans) and the same verdict on
 * which texts are invalid. Every reader is held to it: `loadYamlDocuments` (what planning uses) on
 * every text, and the line reader, the js-yaml event reader and the `yaml` package reader on every
 * text they read. It needs Ruby (`scripts/install.sh` installs it) and fails without it.
 */

const ORACLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/psych-oracle.rb');
/** How many generated documents, from which seed: the same texts on every run. */
export const GENERATED_COUNT = 3000;
const SEED = 22;

type Canonical = null | boolean | string | { [kind: string]: unknown } | Canonical[];
type Outcome = { documents: Canonical[] } | { error: string };

/** Runs the oracle over a batch of texts in one Ruby process. */
function psych(texts: readonly string[]): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ruby', [ORACLE], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', (error) =>
      reject(new Error(`ruby is needed for this test (scripts/install.sh installs it): ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the Psych oracle failed (${code}): ${err}`));
      else resolve((JSON.parse(out) as Outcome[]).map(normalizeOracle));
    });
    child.stdin.end(JSON.stringify(texts));
  });
}

/** The oracle's ordered pairs as a JavaScript object would hold them (glci's mappings are objects). */
function normalizeOracle(outcome: Outcome): Outcome {
  if ('error' in outcome) return outcome;
  const visit = (value: Canonical): Canonical => {
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object' && 'map' in value) {
      const object: Record<string, Canonical> = {};
      for (const [key, inner] of value.map as [string, Canonical][])
        Object.defineProperty(object, key, {
          value: visit(inner),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return { map: Object.entries(object) };
    }
    return value;
  };
  return { documents: outcome.documents.map(visit) };
}

/** glci's value in the oracle's terms; a value that contains itself is marked (GitLab cannot use it). */
function canonical(value: YamlValue, open = new Set<object>()): Canonical {
  if (typeof value === 'object' && value !== null) {
    if (open.has(value)) return { cycle: true };
    open.add(value);
    try {
      return canonicalOf(value, open);
    } finally {
      open.delete(value);
    }
  }
  return canonicalOf(value, open);
}

function canonicalOf(value: YamlValue, open: Set<object>): Canonical {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return { int: String(value) };
  if (value instanceof RubyFloat) return { float: value.toString() };
  if (value instanceof RubySymbol) return { sym: value.name };
  if (value instanceof ReferenceTag) return { ref: [...value.path] };
  if (Array.isArray(value)) return value.map((item) => canonical(item, open));
  if (isYamlMap(value))
    return { map: Object.entries(value).map(([key, inner]) => [key, canonical(inner, open)]) };
  return { other: String(value) };
}

/** Ruby's `blank?`, which GitLab's loader uses to drop empty documents. */
function blank(value: YamlValue): boolean {
  return (
    value === null ||
    value === false ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0) ||
    (isYamlMap(value) && Object.keys(value).length === 0)
  );
}

function outcomeOf(values: () => YamlValue[]): Outcome {
  try {
    return {
      documents: values()
        .filter((value) => !blank(value))
        .map((value) => canonical(value)),
    };
  } catch (error) {
    if (error instanceof PipelineConfigError) return { error: error.message };
    throw error;
  }
}

function converted(composed: ComposedYaml): YamlValue[] {
  const issues = new IssueCollector();
  const values = convertDocuments(composed, 'ci.yml', new SourceMap(), issues);
  issues.throwIfAny();
  return values;
}

interface Disagreement {
  readonly reader: string;
  readonly text: string;
  readonly psych: Outcome;
  readonly glci: Outcome;
}

/** Every reader's outcome for `text` that differs from Psych's. */
function disagreements(text: string, expected: Outcome): Disagreement[] {
  const found: Disagreement[] = [];
  /** `strict`: a refusal must match too; otherwise only the values a reader gives are held to Psych's. */
  const compare = (reader: string, actual: Outcome, strict: boolean) => {
    let same: boolean;
    if ('error' in actual) same = !strict || 'error' in expected;
    else
      same =
        'documents' in expected && JSON.stringify(actual.documents) === JSON.stringify(expected.documents);
    if (!same) found.push({ reader, text, psych: expected, glci: actual });
  };
  compare(
    'loadYamlDocuments',
    outcomeOf(() => loadYamlDocuments(text, 'ci.yml', new SourceMap())),
    true,
  );
  // The fast readers leave what they do not read to the next one: only what they read counts. A
  // text with `---` lines is cut into documents first (as GitLab does), so only the whole counts.
  if (/^---/m.test(text)) return found;
  const lines = composeLines(text);
  if (lines)
    compare(
      'composeLines',
      outcomeOf(() => converted(lines)),
      false,
    );
  const fast = composeFast(text);
  if (fast)
    compare(
      'composeFast',
      outcomeOf(() => converted(fast)),
      false,
    );
  const reference = outcomeOf(() => converted(composeReference(text, 'ci.yml')));
  if ('documents' in reference) compare('composeReference', reference, false);
  return found;
}

async function differential(texts: readonly string[]): Promise<Disagreement[]> {
  const half = Math.ceil(texts.length / 2);
  const batches = await Promise.all([psych(texts.slice(0, half)), psych(texts.slice(half))]);
  const outcomes = batches.flat();
  return texts.flatMap((text, index) => disagreements(text, outcomes[index]!));
}

const dump = (found: readonly Disagreement[], name: string) => {
  if (process.env.GLCI_PSYCH_DUMP)
    writeFileSync(`${process.env.GLCI_PSYCH_DUMP}.${name}.json`, JSON.stringify(found, null, 1));
};

const show = (found: readonly Disagreement[]) =>
  found.slice(0, 10).map((each) => ({ ...each, text: JSON.stringify(each.text) }));

describe('glci reads YAML as GitLab’s Psych does', () => {
  it(`agrees on ${EDGE_CASES.length} hand-written edge cases`, async () => {
    const found = await differential(EDGE_CASES);
    dump(found, 'edge');
    expect(show(found)).toEqual([]);
  });

  it(`agrees on ${GENERATED_COUNT} generated documents (seed ${SEED})`, async () => {
    const texts = generatedDocuments(SEED, GENERATED_COUNT);
    expect(new Set(texts).size).toBeGreaterThan(GENERATED_COUNT * 0.95);
    const found = await differential(texts);
    dump(found, 'generated');
    expect({ count: found.length, first: show(found) }).toEqual({ count: 0, first: [] });
  }, 120_000);

  it('fails when the oracle cannot tell (a sanity check that it reads what it is given)', async () => {
    const [yes, date] = await psych(['Y: yes\n', 'd: 2024-01-01\n']);
    expect(yes).toEqual({ documents: [{ map: [['Y', true]] }] });
    expect(date).toHaveProperty('error');
  });
});
