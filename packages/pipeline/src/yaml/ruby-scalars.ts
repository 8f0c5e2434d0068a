/**
 * The scalar types GitLab's YAML loader (Ruby's Psych, `safe_load` with `Symbol` permitted) gives
 * that JavaScript has no exact match for. Kept as their own classes so that validation refuses
 * them where GitLab's entries want an Integer or a String, and so that `to_s` is Ruby's where
 * GitLab turns them into text (a variable `VERSION: 1.0` is "1.0", not "1").
 */

/** A Ruby Float: `1.0`, `.5`, `1.0e+3`, `.inf`, `1:30.5`. */
export class RubyFloat {
  constructor(readonly value: number) {}

  toString(): string {
    return rubyFloatText(this.value);
  }
}

/** A Ruby Symbol: a plain scalar `:name` (Psych reads it as the symbol `name`). */
export class RubySymbol {
  constructor(readonly name: string) {}

  toString(): string {
    return this.name;
  }
}

/** A scalar Psych refuses to load: a date or time (`Tried to load unspecified class: Date`), or a bad integer. */
export class ScalarProblem {
  constructor(readonly message: string) {}
}

/** Ruby's `Float#to_s`: shortest round-trip digits, fixed for 1e-4 ≤ |x| < 1e16, else `1.0e+16`. */
export function rubyFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const point = exponent + 1;
  if (point > 16 || point < -3) {
    const rest = digits.slice(1) || '0';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}.${rest}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A scalar as GitLab turns it into text (`to_s`) where it accepts any scalar (variables, matrix
 * values); undefined for collections, null and `!reference`.
 */
export function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return value instanceof RubyFloat || value instanceof RubySymbol ? value.toString() : undefined;
  }
}

/** An Integer in GitLab's sense (a Ruby Integer: any size), as a JavaScript number when it fits. */
export function isRubyInteger(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}
