/**
 * GitLab's CI/CD variable expressions (`rules:if`, `only:variables`, `workflow:rules:if`):
 *
 *   expr    := or
 *   or      := and ('||' and)*
 *   and     := compare ('&&' compare)*
 *   compare := operand (('==' | '!=' | '=~' | '!~') operand)?
 *   operand := '$VAR' | "string" | 'string' | /pattern/flags | null | '(' expr ')'
 *
 * `&&` binds tighter than `||`, as in GitLab. Strings have no escapes; a pattern ends at the last
 * `/` before its flags (`i`, `m`, `s`).
 */
export type Expression =
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'pattern'; readonly source: string; readonly flags: string }
  | { readonly kind: 'null' }
  | {
      readonly kind: 'compare';
      readonly operator: '==' | '!=' | '=~' | '!~';
      readonly left: Expression;
      readonly right: Expression;
    }
  | { readonly kind: 'and' | 'or'; readonly left: Expression; readonly right: Expression };

/** Thrown for an expression GitLab would refuse; the message says where it went wrong. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
}

type Token =
  | { readonly type: 'operand'; readonly value: Expression; readonly at: number }
  | { readonly type: 'op'; readonly value: string; readonly at: number };

export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const fail = (message: string): never => {
    throw new ExpressionSyntaxError(`invalid expression syntax: ${message} in ${JSON.stringify(text)}`);
  };

  const parseOr = (): Expression => {
    let left = parseAnd();
    while (peek()?.type === 'op' && peek()?.value === '||') {
      position++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expression => {
    let left = parseCompare();
    while (peek()?.type === 'op' && peek()?.value === '&&') {
      position++;
      left = { kind: 'and', left, right: parseCompare() };
    }
    return left;
  };
  const parseCompare = (): Expression => {
    const left = parseOperand();
    const next = peek();
    if (next?.type === 'op' && ['==', '!=', '=~', '!~'].includes(next.value)) {
      position++;
      const right = parseOperand();
      return { kind: 'compare', operator: next.value as '==' | '!=' | '=~' | '!~', left, right };
    }
    return left;
  };
  const parseOperand = (): Expression => {
    const token = tokens[position++];
    if (!token) return fail('the expression ends too early');
    if (token.type === 'operand') return token.value;
    if (token.value === '(') {
      const inner = parseOr();
      const close = tokens[position++];
      if (close?.type !== 'op' || close.value !== ')') fail(`missing ")" for "(" at ${token.at + 1}`);
      return inner;
    }
    return fail(`unexpected "${token.value}" at ${token.at + 1}`);
  };

  if (tokens.length === 0) fail('empty expression');
  const expression = parseOr();
  const rest = peek();
  if (rest) fail(`unexpected ${rest.type === 'op' ? `"${rest.value}"` : 'operand'} at ${rest.at + 1}`);
  return expression;
}

const OPERATORS = ['==', '!=', '=~', '!~', '&&', '||', '(', ')'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const fail = (message: string): never => {
    throw new ExpressionSyntaxError(`invalid expression syntax: ${message} in ${JSON.stringify(text)}`);
  };
  while (index < text.length) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const at = index;
    const operator = OPERATORS.find((op) => text.startsWith(op, index));
    if (operator) {
      tokens.push({ type: 'op', value: operator, at });
      index += operator.length;
      continue;
    }
    if (char === '$') {
      // GitLab's lexeme is `$` and word characters only: `${VAR}` is not a variable there.
      const match = /^\$([A-Za-z0-9_]+)/.exec(text.slice(index));
      if (!match) fail(`"$" without a variable name at ${index + 1}`);
      tokens.push({ type: 'operand', value: { kind: 'variable', name: match![1]! }, at });
      index += match![0].length;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = text.indexOf(char, index + 1);
      if (end < 0) fail(`unterminated string at ${index + 1}`);
      tokens.push({ type: 'operand', value: { kind: 'string', value: text.slice(index + 1, end) }, at });
      index = end + 1;
      continue;
    }
    if (char === '/') {
      const pattern = readPattern(text, index);
      if (!pattern) fail(`unterminated pattern at ${index + 1}`);
      tokens.push({ type: 'operand', value: pattern!.expression, at });
      index = pattern!.end;
      continue;
    }
    if (text.startsWith('null', index) && !/[A-Za-z0-9_]/.test(text[index + 4] ?? '')) {
      tokens.push({ type: 'operand', value: { kind: 'null' }, at });
      index += 4;
      continue;
    }
    fail(`unexpected "${char}" at ${index + 1}`);
  }
  return tokens;
}

/**
 * A `/pattern/flags` literal starting at `start`. The pattern runs to the next unescaped `/` that is
 * followed by optional flags and then the end, whitespace or `)`, so `/a\/b/` and `/x/i` both work.
 */
function readPattern(text: string, start: number): { expression: Expression; end: number } | undefined {
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (char === '\\') {
      index++;
      continue;
    }
    if (char !== '/') continue;
    const flags = /^[a-zA-Z]*/.exec(text.slice(index + 1))![0];
    const after = text[index + 1 + flags.length];
    if (after !== undefined && !/[\s)&|]/.test(after)) continue;
    const source = text.slice(start + 1, index);
    return { expression: { kind: 'pattern', source, flags }, end: index + 1 + flags.length };
  }
  return undefined;
}
