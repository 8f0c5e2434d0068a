import type { LineCounter } from 'yaml';

/**
 * A YAML document as a parser composed it, before it becomes `YamlValue`s: what both YAML front
 * ends (`composeFast` over js-yaml's events, `composeReference` over the `yaml` package) produce,
 * so that one converter (`loadYamlDocuments`) gives both the same meaning. Offsets are UTF-16
 * indexes into the text, where the `yaml` package starts the node (`node.range[0]`).
 */
export type YamlNode = YamlScalarNode | YamlMapNode | YamlSeqNode | YamlAliasNode;

export interface YamlScalarNode {
  readonly kind: 'scalar';
  readonly offset: number;
  /** What Psych makes of the scalar (`true`, `493` for `0755`, a `RubyFloat`, a `ScalarProblem`, the text…). */
  readonly raw: unknown;
  /** The scalar's text after quotes, escapes and folding, before resolution. */
  readonly source: string | undefined;
}

export interface YamlPair {
  /** `<<`: the value's keys are merged in. */
  readonly merge: boolean;
  /** The key as a property name (`String` of the resolved key, `''` for a null key). */
  readonly name: string;
  /** The key is a scalar GitLab refuses to load (a date, a time). */
  readonly problem?: string;
  readonly keyOffset: number;
  readonly value: YamlNode | null;
}

export interface YamlMapNode {
  readonly kind: 'map';
  readonly offset: number;
  readonly pairs: readonly YamlPair[];
}

export interface YamlSeqNode {
  readonly kind: 'seq';
  readonly offset: number;
  /** Tagged `!reference`. */
  readonly reference: boolean;
  readonly items: readonly YamlNode[];
}

export interface YamlAliasNode {
  readonly kind: 'alias';
  readonly offset: number;
  /** The anchored node (undefined when no anchor of that name precedes the alias). */
  target(): YamlNode | undefined;
}

/** A parsed YAML stream: one root per document (null for an empty one), and its line starts. */
export interface ComposedYaml {
  readonly documents: readonly (YamlNode | null)[];
  readonly lineCounter: LineCounter;
}
