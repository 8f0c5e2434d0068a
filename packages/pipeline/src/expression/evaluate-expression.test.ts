import { describe, expect, it } from 'vitest';
import { ExpressionCache, evaluateExpression, expressionSyntaxError } from './evaluate-expression.js';

const variables: Record<string, string> = {
  CI_COMMIT_BRANCH: 'main',
  CI_PIPELINE_SOURCE: 'push',
  EMPTY: '',
  PATTERN: '/^ma/',
  TITLE: 'Fix: Draft release',
};
const lookup = (name: string) => variables[name];

describe('evaluateExpression', () => {
  it.each([
    ['$CI_COMMIT_BRANCH == "main"', true],
    ["$CI_COMMIT_BRANCH == 'main'", true],
    ['$CI_COMMIT_BRANCH != "main"', false],
    ['$UNDEFINED == null', true],
    ['$EMPTY == null', false],
    ['$EMPTY == ""', true],
    ['$UNDEFINED == ""', false],
    ['$CI_COMMIT_BRANCH', true],
    ['$EMPTY', false],
    ['$UNDEFINED', false],
    ['$CI_COMMIT_BRANCH =~ /^ma/', true],
    ['$CI_COMMIT_BRANCH =~ /^MA/i', true],
    ['$CI_COMMIT_BRANCH =~ /^MA/', false],
    ['$CI_COMMIT_BRANCH !~ /^ma/', false],
    ['$UNDEFINED =~ /.*/', false],
    ['$UNDEFINED !~ /.*/', true],
    ['$CI_COMMIT_BRANCH =~ $PATTERN', true],
    ['$TITLE =~ /draft/i && $CI_PIPELINE_SOURCE == "push"', true],
    ['$CI_PIPELINE_SOURCE == "web" || $CI_COMMIT_BRANCH == "main" && $EMPTY', false],
    ['($CI_PIPELINE_SOURCE == "web" || $CI_COMMIT_BRANCH == "main") && $TITLE', true],
    ['$CI_PIPELINE_SOURCE == "merge_request_event" || $CI_COMMIT_BRANCH == "main"', true],
    ['$TITLE =~ /Fix: D\\w+/', true],
    ['$CI_COMMIT_BRANCH =~ /\\Amain\\z/', true],
  ])('%s → %s', (expression, expected) => {
    expect(evaluateExpression(expression, lookup).value).toBe(expected);
    const cache = new ExpressionCache();
    expect(evaluateExpression(expression, lookup, cache).value).toBe(expected);
    expect(evaluateExpression(expression, lookup, cache).value).toBe(expected);
  });

  it('records the variables it read, undefined ones as null', () => {
    expect(evaluateExpression('$A == "x" || $CI_COMMIT_BRANCH', lookup).variables).toEqual({
      A: null,
      CI_COMMIT_BRANCH: 'main',
    });
  });

  it.each([
    ['$A ==', /ends too early/],
    ['$A == "x', /unterminated string/],
    ['($A == "x"', /missing "\)"/],
    ['$A = "x"', /unexpected "="/],
    ['$A == "x" $B', /unexpected operand/],
    ['$A =~ /(/', /invalid regexp/],
    ['$A =~ /x/g', /unknown regexp flags "g"/],
    ['', /empty expression/],
    // GitLab's lexer knows `$NAME` only: `${NAME}` in an expression is a syntax error there.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitLab's ${VAR} syntax, not a template
    ['${CI_COMMIT_BRANCH} == "main"', /"\$" without a variable name/],
  ])('refuses %j', (expression, message) => {
    expect(expressionSyntaxError(expression)).toMatch(message);
    const cache = new ExpressionCache();
    expect(cache.syntaxError(expression)).toBe(expressionSyntaxError(expression));
    expect(cache.syntaxError(expression)).toBe(expressionSyntaxError(expression));
  });
});

describe('ExpressionCache', () => {
  it('parses each distinct text once and compiles each pattern once', () => {
    const cache = new ExpressionCache();
    const expression = cache.parse('$CI_COMMIT_BRANCH =~ /^ma/i');
    expect(cache.parse('$CI_COMMIT_BRANCH =~ /^ma/i')).toBe(expression);
    if (expression.kind !== 'compare' || expression.right.kind !== 'pattern')
      throw new Error('expected a comparison with a pattern');
    expect(cache.pattern(expression.right)).toBe(cache.pattern(expression.right));
    expect(cache.pattern(expression.right).flags).toBe('i');
  });

  it('throws the same syntax error every time', () => {
    const cache = new ExpressionCache();
    expect(() => cache.parse('$A ==')).toThrow(/ends too early/);
    expect(() => evaluateExpression('$A ==', lookup, cache)).toThrow(/ends too early/);
  });
});
