import type { LineCounter } from 'yaml';

/**
 * A YAML document as a parser composed it, before it becomes `YamlValue`s: what both YAML front
 * ends (`composeFast` over js-yaml's events, `composeReference` over the `yaml` package) produce,
 * so that one converter (`loadYamlDocuments`) gives both the same meaning. Offsets are UTF-16
 * indexes into the text, where the `yaml` package starts the node (`node.range[0]`).
 */
export type YamlNode = YamlScalarNode | YamlMapNode | YamlSeqNode | YamlAliasNode;

/** What every node may carry: a problem libyaml would report there (a bad anchor name…). */
interface NodeBase {
  readonly problem?: string;
}

export interface YamlScalarNode extends NodeBase {
  readonly kind: 'scalar';
  readonly offset: number;
  /** Written without quotes or a block indicator. */
  readonly plain?: boolean;
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
  /** The key's text when it is a plain scalar. */
  readonly plainKey?: string;
  /** The key is a scalar GitLab refuses to load (a date, a time). */
  readonly problem?: string;
  readonly keyOffset: number;
  readonly value: YamlNode | null;
}

export interface YamlMapNode extends NodeBase {
  readonly kind: 'map';
  readonly offset: number;
  /** Written `{…}`. */
  readonly flow?: boolean;
  readonly pairs: readonly YamlPair[];
}

export interface YamlSeqNode extends NodeBase {
  readonly kind: 'seq';
  readonly offset: number;
  /** Written `[…]`. */
  readonly flow?: boolean;
  /** Tagged `!reference`. */
  readonly reference: boolean;
  readonly items: readonly YamlNode[];
}

export interface YamlAliasNode extends NodeBase {
  readonly kind: 'alias';
  readonly offset: number;
  readonly name: string;
  /** The anchored node (undefined when no anchor of that name precedes the alias). */
  target(): YamlNode | undefined;
}

/** A parsed YAML stream: one root per document (null for an empty one), and its line starts. */
export interface ComposedYaml {
  readonly documents: readonly (YamlNode | null)[];
  readonly lineCounter: LineCounter;
}
