import { RubyFloat, RubySymbol, ScalarProblem } from './ruby-scalars.js';

/**
 * What an untagged plain scalar is to GitLab: Ruby Psych's `ScalarScanner#tokenize` rules, which
 * differ from YAML 1.1's tag definitions (and from the `yaml` package) in many small ways:
 * `y`/`n` are strings but `yEs` is true; `1,000` is 1000; `08` is a string; `12:30` is the
 * sexagesimal 45000 (Psych's own arithmetic); `1e3` is a string but `1.0e+3` a Float; `:name` is a
 * Symbol; a date or time is refused (`safe_load` permits no Date or Time class). Checked against
 * `ruby -ryaml` by `psych-differential.test.ts`.
 *
 * Results: null, boolean, number (an Integer that fits), bigint (one that does not), `RubyFloat`,
 * `RubySymbol`, the text itself, or a `ScalarProblem` (the document is invalid).
 */
export type PlainScalar = null | boolean | number | bigint | string | RubyFloat | RubySymbol | ScalarProblem;

// Ruby's `\s` and `^`: ASCII whitespace, and a line start (Ruby's `^` is always multi-line).
const STRING_LIKE = /^[^\d.:-]?[\p{Alphabetic}_ \t\n\v\f\r!@#$%^&*(){}<>|/\\~;=]+/mu;
const NOT_SPECIAL_START = /^[^ytonf~]/im;
const NULL = /^null$/im;
const TRUE = /^(?:yes|true|on)$/im;
const FALSE = /^(?:no|false|off)$/im;
const TIME =
  /^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t\n\v\f\r]+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:[ \t\n\v\f\r]*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/;
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}$/;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}\.[0-9_]*$/;
const FLOAT = /^[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?$/;
const INTEGER =
  /^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/;

export function tokenizePlain(text: string): PlainScalar {
  if (text === '') return null;
  if (STRING_LIKE.test(text) || text.includes('\n')) {
    if (text.length > 5) return text;
    if (NOT_SPECIAL_START.test(text)) return text;
    if (text === '~' || NULL.test(text)) return null;
    if (TRUE.test(text)) return true;
    if (FALSE.test(text)) return false;
    return text;
  }
  if (TIME.test(text)) return new ScalarProblem('Tried to load unspecified class: Time');
  if (DATE.test(text)) return new ScalarProblem('Tried to load unspecified class: Date');
  if (/^\+?\.inf$/i.test(text)) return new RubyFloat(Number.POSITIVE_INFINITY);
  if (/^-\.inf$/i.test(text)) return new RubyFloat(Number.NEGATIVE_INFINITY);
  if (/^\.nan$/i.test(text)) return new RubyFloat(Number.NaN);
  if (/^:./.test(text)) {
    const quoted = /^:(["'])(.*)\1/.exec(text);
    return new RubySymbol((quoted ? quoted[2]! : text).replace(/^:/, ''));
  }
  if (SEXAGESIMAL_INT.test(text)) return sexagesimalInteger(text);
  if (SEXAGESIMAL_FLOAT.test(text)) return new RubyFloat(sexagesimalFloat(text));
  if (FLOAT.test(text)) {
    if (/^[-+]?\.$/.test(text)) return text;
    return new RubyFloat(Number(text.replace(/[,_]|\.([Ee]|$)/g, '$1')));
  }
  if (INTEGER.test(text)) return parseInteger(text);
  return text;
}

/** Ruby's `Integer()` on the digits without `,`/`_`: base prefixes 0b, 0x and a leading 0 (octal). */
function parseInteger(text: string): number | bigint | ScalarProblem {
  const cleaned = text.replace(/[,_]/g, '');
  const match = /^([-+]?)(0b|0x|0(?=.)|)(.*)$/.exec(cleaned)!;
  const [, sign, prefix, digits] = match as unknown as [string, string, string, string];
  if (digits === '') return new ScalarProblem(`invalid value for Integer(): "${cleaned}"`);
  const literal =
    prefix === '0b'
      ? `0b${digits}`
      : prefix === '0x'
        ? `0x${digits}`
        : prefix === '0'
          ? `0o${digits}`
          : digits;
  const magnitude = BigInt(literal);
  return fitting(sign === '-' ? -magnitude : magnitude);
}

/** Psych's base 60: each part times 60 to the power |index - 2| (so `12:30` is 45000, as in GitLab). */
function sexagesimalInteger(text: string): number | bigint {
  let total = 0n;
  text.split(':').forEach((part, index) => {
    total += rubyToI(part) * 60n ** BigInt(Math.abs(index - 2));
  });
  return fitting(total);
}

function sexagesimalFloat(text: string): number {
  let total = 0;
  text.split(':').forEach((part, index) => {
    total += rubyToF(part) * 60 ** Math.abs(index - 2);
  });
  return total;
}

/** Ruby's `String#to_i`: the leading integer, `_` allowed between digits. */
function rubyToI(text: string): bigint {
  const match = /^[-+]?\d+(?:_\d+)*/.exec(text);
  return match ? BigInt(match[0].replace(/_/g, '')) : 0n;
}

/** Ruby's `String#to_f`: the leading decimal number, `_` allowed between digits. */
function rubyToF(text: string): number {
  const match = /^[-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?/.exec(text);
  return match ? Number(match[0].replace(/_/g, '')) : 0;
}

function fitting(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/**
 * A mapping key's name as glci keys its objects: GitLab symbolizes string keys, so `:name` and
 * `name` are the same key; other scalars by their text (`true`, `1`, `1.5`), a null key as ''.
 */
export function keyName(raw: PlainScalar | unknown): string {
  if (raw === null || raw === undefined) return '';
  if (raw instanceof ScalarProblem) return '';
  return String(raw);
}
