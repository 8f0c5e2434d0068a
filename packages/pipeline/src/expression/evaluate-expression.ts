import { type Expression, ExpressionSyntaxError, parseExpression } from './parse-expression.js';

/** Variable values an expression sees; `undefined` means the variable is not defined. */
export type ExpressionVariables = (name: string) => string | undefined;

export interface ExpressionResult {
  readonly value: boolean;
  /** Every variable the expression read, with the value it had (`null`: undefined). */
  readonly variables: Readonly<Record<string, string | null>>;
}

type Value = string | null | { readonly pattern: RegExp };

/**
 * Evaluates a GitLab expression. A lone variable or string is true when it is non-empty; `==`
 * compares text (an undefined variable equals only `null`); `=~` matches a pattern anywhere in the
 * text, the right side being a `/pattern/` literal or a variable holding one. Throws
 * `ExpressionSyntaxError` for syntax GitLab refuses and for a pattern that is not a valid regexp.
 */
export function evaluateExpression(
  text: string,
  lookup: ExpressionVariables,
  cache?: ExpressionCache,
): ExpressionResult {
  const variables: Record<string, string | null> = {};
  const read = (name: string) => {
    const value = lookup(name);
    variables[name] = value ?? null;
    return value ?? null;
  };
  const expression = cache ? cache.parse(text) : parseExpression(text);
  const value = truthy(evaluate(expression, read, cache));
  return { value, variables };
}

/**
 * Parses each distinct expression once and compiles each of its patterns once, for one planning
 * run: hundreds of jobs extending one template evaluate the same few `rules:if`. Parsed
 * expressions are immutable and patterns take only the `i`, `m` and `s` flags (no `lastIndex`
 * state), so sharing them changes no result.
 */
export class ExpressionCache {
  readonly #parsed = new Map<string, Expression | ExpressionSyntaxError>();
  readonly #patterns = new WeakMap<Expression, RegExp>();

  /** As `parseExpression`: throws `ExpressionSyntaxError`. */
  parse(text: string): Expression {
    let parsed = this.#parsed.get(text);
    if (parsed === undefined) {
      try {
        parsed = parseExpression(text);
      } catch (error) {
        if (!(error instanceof ExpressionSyntaxError)) throw error;
        parsed = error;
      }
      this.#parsed.set(text, parsed);
    }
    if (parsed instanceof ExpressionSyntaxError) throw new ExpressionSyntaxError(parsed.message);
    return parsed;
  }

  /** As `expressionSyntaxError`. */
  syntaxError(text: string): string | undefined {
    try {
      checkPatterns(this.parse(text), this);
      return undefined;
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) return error.message;
      throw error;
    }
  }

  /** A pattern literal's `RegExp`; throws `ExpressionSyntaxError` as `compilePattern` does. */
  pattern(expression: Expression & { readonly kind: 'pattern' }): RegExp {
    let compiled = this.#patterns.get(expression);
    if (!compiled) {
      compiled = compilePattern(expression.source, expression.flags);
      this.#patterns.set(expression, compiled);
    }
    return compiled;
  }
}

function evaluate(
  expression: Expression,
  read: (name: string) => string | null,
  cache: ExpressionCache | undefined,
): Value | boolean {
  switch (expression.kind) {
    case 'variable':
      return read(expression.name);
    case 'string':
      return expression.value;
    case 'null':
      return null;
    case 'pattern':
      return {
        pattern: cache ? cache.pattern(expression) : compilePattern(expression.source, expression.flags),
      };
    case 'and':
      return (
        truthy(evaluate(expression.left, read, cache)) && truthy(evaluate(expression.right, read, cache))
      );
    case 'or':
      return (
        truthy(evaluate(expression.left, read, cache)) || truthy(evaluate(expression.right, read, cache))
      );
    case 'compare': {
      const left = evaluate(expression.left, read, cache);
      const right = evaluate(expression.right, read, cache);
      if (expression.operator === '==' || expression.operator === '!=') {
        const equal = textOf(left) === textOf(right);
        return expression.operator === '==' ? equal : !equal;
      }
      const pattern = asPattern(right);
      const subject = textOf(left);
      const matches = pattern !== undefined && subject !== null && pattern.test(subject);
      return expression.operator === '=~' ? matches : !matches;
    }
  }
}

function truthy(value: Value | boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  return true;
}

function textOf(value: Value | boolean): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return value.pattern.toString();
}

/** The right side of `=~`: a literal pattern, or text of the form `/pattern/flags` (from a variable). */
function asPattern(value: Value | boolean): RegExp | undefined {
  if (typeof value === 'object' && value !== null) return value.pattern;
  if (typeof value !== 'string') return undefined;
  const match = /^\/(.*)\/([a-zA-Z]*)$/s.exec(value);
  if (!match) return undefined;
  try {
    return compilePattern(match[1]!, match[2]!);
  } catch {
    return undefined;
  }
}

/**
 * GitLab matches with RE2; JavaScript's engine accepts the same syntax for the patterns CI files
 * use, and more: what RE2 lacks (lookaround, backreferences) is refused as GitLab refuses it.
 * `\A` and `\z` (RE2/Ruby anchors) are rewritten; flags other than i, m and s are refused.
 */
function compilePattern(source: string, flags: string): RegExp {
  const unknown = flags.replace(/[ims]/g, '');
  if (unknown)
    throw new ExpressionSyntaxError(`invalid expression syntax: unknown regexp flags "${unknown}"`);
  if (/\(\?<?[=!]|(?<!\\)\\[1-9]/.test(source))
    throw new ExpressionSyntaxError(
      `invalid expression syntax: /${source}/ uses lookaround or a backreference, which RE2 (GitLab's matcher) does not support`,
    );
  const translated = source.replace(/\\A/g, '^').replace(/\\[zZ]/g, '$');
  try {
    return new RegExp(translated, [...new Set(flags)].join(''));
  } catch (error) {
    throw new ExpressionSyntaxError(
      `invalid expression syntax: invalid regexp /${source}/: ${(error as Error).message}`,
    );
  }
}

/** Checks an expression's syntax without evaluating it; returns the error message or undefined. */
export function expressionSyntaxError(text: string): string | undefined {
  try {
    const expression = parseExpression(text);
    checkPatterns(expression);
    return undefined;
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error.message;
    throw error;
  }
}

function checkPatterns(expression: Expression, cache?: ExpressionCache): void {
  if (expression.kind === 'pattern') {
    if (cache) cache.pattern(expression);
    else compilePattern(expression.source, expression.flags);
  }
  if (expression.kind === 'compare' || expression.kind === 'and' || expression.kind === 'or') {
    checkPatterns(expression.left, cache);
    checkPatterns(expression.right, cache);
  }
}
