import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IssueCollector, PipelineConfigError } from '../errors.js';
import { composeFast } from './compose-fast.js';
import { composeLines } from './compose-lines.js';
import { composeReference } from './compose-reference.js';
import { convertDocuments, loadYamlDocuments, type YamlValue } from './load-yaml.js';
import { ReferenceTag } from './reference-tag.js';
import { SourceMap } from './source-map.js';

/**
 * The fast front end (js-yaml's events) against the reference (the `yaml` package): for every text
 * the fast one reads, the values, every recorded position and every conversion problem must be the
 * same; every text the reference refuses must be left to it.
 */
interface Converted {
  readonly values: YamlValue[];
  readonly sourceMap: SourceMap;
  readonly issues: number;
}

function convert(composed: ReturnType<typeof composeReference>): Converted {
  const sourceMap = new SourceMap();
  const issues = new IssueCollector();
  const values = convertDocuments(composed, 'ci.yml', sourceMap, issues);
  return { values, sourceMap, issues: issues.issues.length };
}

/** Every value, position and entry position of `actual` equals `expected`'s; returns the first difference. */
function difference(actual: Converted, expected: Converted): string | undefined {
  const walk = (a: YamlValue, b: YamlValue, at: string): string | undefined => {
    if (a instanceof ReferenceTag || b instanceof ReferenceTag) {
      if (!(a instanceof ReferenceTag && b instanceof ReferenceTag)) return `${at}: reference vs value`;
      if (JSON.stringify([a.path, a.location]) !== JSON.stringify([b.path, b.location]))
        return `${at}: ${a.toString()} ${JSON.stringify(a.location)} vs ${JSON.stringify(b.location)}`;
      return undefined;
    }
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
      return Object.is(a, b) ? undefined : `${at}: ${String(a)} (${typeof a}) vs ${String(b)} (${typeof b})`;
    }
    if (Array.isArray(a) !== Array.isArray(b)) return `${at}: list vs map`;
    const location = (sourceMap: SourceMap, node: object) => JSON.stringify(sourceMap.locationOf(node));
    if (location(actual.sourceMap, a) !== location(expected.sourceMap, b))
      return `${at}: at ${location(actual.sourceMap, a)} vs ${location(expected.sourceMap, b)}`;
    const keys = Array.isArray(a) ? a.map((_, index) => index) : Object.keys(a);
    const otherKeys = Array.isArray(b) ? b.map((_, index) => index) : Object.keys(b);
    if (JSON.stringify(keys) !== JSON.stringify(otherKeys))
      return `${at}: keys ${JSON.stringify(keys)} vs ${JSON.stringify(otherKeys)}`;
    for (const key of keys) {
      const entryA = JSON.stringify(actual.sourceMap.entryLocation(a, key));
      const entryB = JSON.stringify(expected.sourceMap.entryLocation(b, key));
      if (entryA !== entryB) return `${at}.${key}: entry at ${entryA} vs ${entryB}`;
      const inner = walk(
        (a as Record<string | number, YamlValue>)[key]!,
        (b as Record<string | number, YamlValue>)[key]!,
        `${at}.${key}`,
      );
      if (inner) return inner;
    }
    return undefined;
  };
  if (actual.issues !== expected.issues) return `${actual.issues} vs ${expected.issues} issues`;
  if (actual.values.length !== expected.values.length)
    return `${actual.values.length} vs ${expected.values.length} documents`;
  for (const [index, value] of actual.values.entries()) {
    const found = walk(value, expected.values[index]!, `document ${index}`);
    if (found) return found;
  }
  return undefined;
}

type Outcome = 'fast' | 'left to the reference' | 'refused by both';

/** Runs the front ends (the line reader too, when it reads the text); fails on any difference. */
function compare(text: string): Outcome {
  let reference: Converted;
  try {
    reference = convert(composeReference(text, 'ci.yml'));
  } catch (error) {
    if (!(error instanceof PipelineConfigError)) throw error;
    // The yaml package refuses the text: the fast front ends must not accept it.
    const fast = composeFast(text);
    if (fast && convert(fast).issues === 0)
      throw new Error(`the fast front end accepts YAML the reference refuses: ${error.message}`);
    if (composeLines(text))
      throw new Error(`the line reader accepts YAML the reference refuses: ${error.message}`);
    return 'refused by both';
  }
  const lines = composeLines(text);
  if (lines) {
    const found = difference(convert(lines), reference);
    if (found) throw new Error(`line reader and reference differ: ${found}`);
  }
  const fast = composeFast(text);
  if (!fast) return 'left to the reference';
  const found = difference(convert(fast), reference);
  if (found) throw new Error(`fast and reference differ: ${found}`);
  return 'fast';
}

const CI_LIKE: Record<string, string> = {
  jobs: `
stages: [build, test]
variables:
  GIT_DEPTH: "10"
  FLAG: yes
  OCTAL: 0755
.base: &base
  image: node:22
  tags: [docker, linux]
  retry: {max: 2, when: [runner_system_failure]}
build:
  <<: *base
  stage: build
  script:
    - npm ci
    - |
      echo "multi"
      echo line
    - >-
      folded
      text
    - !reference [.setup, script]
  rules:
    - if: $CI_COMMIT_BRANCH == "main" && $X =~ /^v\\d+/
      when: always
    - when: never
test:
  extends: [.base]
  script: echo 'single' "double" # comment
  variables: {A: "1", B: '2', C: 3.5, D: ~, E: null, F: off, G: y, H: N}
`,
  scalars: `
plain: text with spaces
url: http://example.com:8080/a?b=c#d
hash: value#not-a-comment
colon: a:b
quoted: "tab\\there \\u00e9 \\x41 \\\\ \\"q\\" \\/"
single: 'it''s'
multi: this is
  folded plain
  text
multiquoted: "first
  second"
empty:
tilde: ~
nulls: [null, Null, NULL, ~, '']
bools: [true, True, TRUE, false, False, FALSE, yes, Yes, YES, no, No, NO, on, On, ON, off, Off, OFF, y, Y, n, N]
ints: [0, 12, -3, +4, 0755, 09, 0x1F, 0b101, 1_000, 0o17, 190:20:30, 00]
floats: [1.5, .5, -1.5e3, 1e3, e5, 1.0e+3, .inf, -.Inf, +.INF, .nan, .NaN, 1:30.5, ., 1_0.5]
dates: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2002-12-14]
keys:
  yes: 1
  1: 2
  0755: 3
  ~: 4
  null: 5
  "quoted key": 6
  'single key': 7
  key with spaces: 8
  1.50: 9
  2001-01-01: 10
  "<<": 11
unicode: "😀 ünïcødé 漢字"
😀key: 漢字
`,
  blocks: `
literal: |
  line 1

  line 3
keep: |+
  kept

strip: >-
  a
  b
indented: |2
    two more
items:
  - |
    item
  - >
    folded item
  - |- # comment
    stripped
  - - |
      nested
  - &block |
    anchored
  - *block
  - |

    leading blank line
  - "q"
  - 'q'
  - plain
last: |
  end`,
  anchors: `
.a: &a {x: 1, y: [1, 2]}
.b: &b
  y: 3
  z: &inner [4, 5]
merged:
  <<: [*a, *b]
  x: own
list: [*a, *inner, *b]
redefined: &a 1
after: *a
scalar: &s text
again: [*s, *s]
nested:
  <<: *b
  deeper:
    <<: *a
`,
  flow: `
map: {a: 1, b: {c: [1, {d: e}]}, 'f': "g"}
seq: [a, [b, c], {d: e}, "f", 'g', ]
pairs: [a: 1, b]
keyonly: {a, b: c}
explicit: [? a : b]
multiline: [one,
  two]
`,
  documents: '---\na: 1\n...\n---\nb: 2\n--- c\n',
  spec: 'spec:\n  inputs:\n    stage:\n      default: test\n---\njob:\n  stage: $[[ inputs.stage ]]\n  script: echo\n',
  empty: '',
  comments: '# only a comment\n',
  emptyDocument: '---\n',
  crlf: 'a: 1\r\nb:\r\n  - x\r\n  - |\r\n    y\r\n  - "z"\r\n',
  compact: 'key:\n- a\n- b: c\n  d: e\n- - nested\n',
  topList: '- a\n- b\n',
  topScalar: 'just text\n',
  explicitKey: '? a\n: b\n? c\n',
  mergeErrors: 'a: &a [1]\nb:\n  <<: *a\n',
  referenceErrors: 'a: !reference [x, [y]]\nb: !reference []\n',
  mergeQuoted: '.a: &a {x: 1}\nb:\n  "<<": *a\n',
};

const EDGE: Record<string, string> = {
  tags: 'a: !!str 123\nb: !!int "3"\nc: !custom x\nd: !!binary aGk=\n',
  referenceOnScalar: 'a: !reference x\n',
  referenceOnMap: 'a: !reference {x: y}\n',
  directive: '%YAML 1.1\n---\na: 1\n',
  tagDirective: '%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n',
  complexKey: '[a]: 1\n',
  explicitComplexKey: '? [a, b]\n: c\n',
  flowMapKey: '{a: 1}: x\n',
  aliasKey: 'a: &k key\n*k : 1\n',
  anchoredKey: '&k a: 1\n',
  longKey: `${'k'.repeat(1100)}: 1\n`,
  longQuotedKey: `"${'k'.repeat(1020)}": 1\n`,
  loneCr: 'a: 1\rb: 2\n',
  bom: '\uFEFFa: 1\n',
  emptyItem: 'a:\n  -\n  - x\n  - \n',
  blockItemOnNextLine: 'a:\n  -\n    |\n    text\n',
  emptyBlockItem: 'a:\n  - |\n  - x\n',
  recursive: 'a: &a [*a]\n',
  forward: 'a: *a\nb: &a 1\n',
  redefinedInside: 'a: &a 1\nb: &a [*a]\n',
  unknownAlias: 'a: *nope\n',
  deep: `${'['.repeat(150)}${']'.repeat(150)}\n`,
  billion: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
  unclosedFlow: 'a: [1, 2\nb: 3\n',
  badIndent: 'a:\n  b: 1\n c: 2\n',
  tabIndent: 'a:\n\tb: 1\n',
  nestedCompact: 'a: b: c\n',
  unterminatedQuote: 'a: "text\n',
  trailingContent: 'a: 1\n- b\n',
  duplicateKeys: 'a: 1\nb: 2\na: 3\n',
  duplicateAnchor: 'a: &x 1\nb: &x 2\nc: *x\n',
  badEscape: 'a: "\\q"\n',
  multilineKey: 'a\nb: 1\n',
  tabAfterColon: 'a:\t1\n',
  commentWithoutSpace: 'a: b #c\nd: e#f\n',
  docEndInside: 'a: |\n  x\n...\n',
  indentIndicator: 'a:\n  - |1\n    leading space\n',
  emptyFlowEntries: 'a: [,]\n',
  questionMark: 'a: ?\nb: ? x\n',
  dashValue: 'a: -\nb: - x\n',
  colonEnd: 'a: x:\n',
  // js-yaml refuses a closing bracket at the key's indentation; the yaml package and GitLab take it.
  flowCloseAtIndent: 'variables: {\n  A: 1\n}\nlist: [\n  a\n]\n',
};

/** Texts inside the line reader's subset: it must read each one, as the reference does. */
const LINE_SUBSET: Record<string, string> = {
  jobs: `# a comment
stages: [build, test]   # trailing comment
variables:
  GIT_DEPTH: "10"
  FLAG: yes
  OCTAL: 0755
  EMPTY: ''
  NOTHING:
  REGEX: /^v\\d+$/
.base: &base
  image: node:22
  tags: [docker, linux]
  retry: {max: 2, when: [runner_system_failure]}
.setup:
  script:
    - echo setup
    - npm ci --prefer-offline
build job:
  <<: *base
  stage: build
  script:
      # an indented comment
    - !reference [.setup, script]
    - echo "quoted" and 'single' words # comment
    - make a#b c:d http://x:8080/y
    - -v
  rules:
    - if: $CI_COMMIT_BRANCH == "main" && $X =~ /^v\\d+/
      when: always
    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'
      changes: [src/**/*]
      variables: {A: "1", B: '2', C: 3.5, D: ~, E: null, F: off, G: y, H: N}
    - when: never
  needs:
  - job: .setup
    artifacts: false
  - other
test:
  extends: [.base, .setup]
  on: 1
  1: 2
  ~: 3
  nested:
    deeper:
      deepest: [a, [b, c], {d: e}, "f", 'g', ]
  back: 1
`,
  anchors: `.a: &a {x: 1, y: [1, 2]}
.b: &b
  y: 3
  z: &inner [4, 5]
merged:
  <<: [*a, *b]
  x: own
list: [*a, *inner, *b]
redefined: &a 1
after: *a
scalar: &s text
again: [*s, *s]
items:
  - &item
    k: v
  - *item
`,
  topList: '- a\n- b: c\n  d: e\n-\n  f: g\n',
};

/** Texts the line reader must leave to the other front ends. */
const LINE_OUTSIDE: Record<string, string> = {
  blockScalar: 'a: |\n  x\n',
  escape: 'a: "\\n"\n',
  multilinePlain: 'a: b\n  c\n',
  multilineFlow: 'a: [b,\n  c]\n',
  multilineQuoted: 'a: "b\n  c"\n',
  quotedKey: '"a": 1\n',
  tab: 'a:\tb\n',
  crlf: 'a: 1\r\n',
  documents: 'a: 1\n---\nb: 2\n',
  badIndent: 'a:\n    b: 1\n  c: 2\n',
  deeperAfterValue: 'a:\n  b: 1\n   c: 2\n',
  mappingInValue: 'a: b: c\n',
  colonEnd: 'a: b:\n',
  itemInMapping: 'a: 1\n- b\n',
  emptyItem: 'a:\n  -\n  - x\n',
  nestedCompact: '- - a\n',
  otherTag: 'a: !!str 1\n',
  forwardAlias: 'a: *b\nb: &b 1\n',
  recursive: 'a: &a [*a]\n',
  keyWithSpaceBeforeColon: 'a : 1\n',
  flowPairInSequence: 'a: [b: 1]\n',
  trailingContent: 'a: "b" c\n',
  comments: '# only\n',
  scalarRoot: 'text\n',
};

describe('composeLines (the line reader) against the reference', () => {
  it.each(Object.entries(LINE_SUBSET))('reads %s as the reference does', (_name, text) => {
    expect(composeLines(text)).toBeDefined();
    expect(compare(text)).toBe('fast');
  });

  it.each(Object.entries(LINE_OUTSIDE))('leaves %s to the other front ends', (_name, text) => {
    expect(composeLines(text)).toBeUndefined();
    expect(['fast', 'left to the reference', 'refused by both']).toContain(compare(text));
  });

  it('agrees with the reference on random line-shaped texts', () => {
    // A seeded generator (no Math.random): the same texts on every run.
    let seed = 42;
    const next = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const pick = <T>(items: readonly T[]) => items[next(items.length)]!;
    const keys = ['a', 'b c', 'on', '1', '~', '.x', '<<', 'k-1', 'a:b', 'a#b', 'x*y', 'yes'];
    const values = [
      '',
      ' x',
      ' text with spaces',
      ' "q"',
      " 'q'",
      " ''",
      ' 0755',
      ' [a, b]',
      ' {a: 1, b: [c]}',
      ' [a, {b: c}, ]',
      ' []',
      ' {}',
      ' *x',
      ' &x v',
      ' &x',
      ' !reference [a, b]',
      ' a: b',
      ' - x',
      ' # c',
      ' v # c',
      ' "q" z',
      ' a#b',
      ' -1',
      ' [a: 1]',
      ' http://h:1/p',
      ' x:',
      ' ? x',
    ];
    let read = 0;
    for (let round = 0; round < 400; round++) {
      const lines: string[] = [];
      const count = 1 + next(8);
      for (let line = 0; line < count; line++) {
        const indent = ' '.repeat(pick([0, 0, 2, 2, 4, 6, 1, 3]));
        const kind = next(6);
        if (kind === 0) lines.push(`${indent}${pick(keys)}:${pick(values)}`);
        else if (kind === 1) lines.push(`${indent}-${pick(values)}`);
        else if (kind === 2) lines.push(`${indent}- ${pick(keys)}:${pick(values)}`);
        else if (kind === 3) lines.push(`${indent}# comment`);
        else if (kind === 4) lines.push('');
        else lines.push(`${indent}${pick(keys)}:`);
      }
      const text = `${lines.join('\n')}\n`;
      if (composeLines(text)) read++;
      expect(['fast', 'left to the reference', 'refused by both'], text).toContain(compare(text));
    }
    expect(read).toBeGreaterThan(40);
  });

  it('reads the shape of a large generated configuration', () => {
    const jobs = Array.from(
      { length: 40 },
      (_, index) =>
        `c-${index}:\n  extends: .t\n  script:\n    - !reference [.setup, script]\n    - ./run.sh c-${index}\n  variables:\n    INDEX: "${index}"\n  needs:\n    - c-${Math.max(0, index - 1)}\n  cache:\n    key: c-$CI_COMMIT_REF_SLUG\n    paths: [node_modules/]\n`,
    ).join('');
    const text = `.setup:\n  script: [echo]\n.t:\n  stage: test\n${jobs}`;
    expect(composeLines(text)).toBeDefined();
    expect(compare(text)).toBe('fast');
  });
});

describe('composeFast against the reference (the yaml package)', () => {
  it.each(Object.entries(CI_LIKE))('reads %s as the reference does', (_name, text) => {
    expect(compare(text)).toBe('fast');
  });

  it.each(Object.entries(EDGE))('agrees on %s (or leaves it to the reference)', (_name, text) => {
    expect(['fast', 'left to the reference', 'refused by both']).toContain(compare(text));
  });

  it('leaves tags, directives, complex keys and recursive anchors to the reference', () => {
    for (const name of ['tags', 'directive', 'tagDirective', 'complexKey', 'aliasKey', 'anchoredKey'])
      expect(compare(EDGE[name]!), name).toBe('left to the reference');
    expect(composeFast(EDGE.recursive!)).toBeUndefined();
    expect(composeFast(EDGE.forward!)).toBeUndefined();
  });

  it('reads the test corpus as the reference does', () => {
    const root = path.join(import.meta.dirname, '../../test/corpus');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) =>
      /\.ya?ml$/.test(file),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(compare(readFileSync(path.join(root, file), 'utf8')), file).toBe('fast');
  });

  it('gives loadYamlDocuments the reference messages for a syntax error', () => {
    expect(() => loadYamlDocuments(EDGE.unclosedFlow!, 'ci.yml', new SourceMap())).toThrow(
      /^ci\.yml:\d+:\d+: invalid YAML: /,
    );
  });
});
