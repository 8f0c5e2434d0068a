import { describe, expect, it } from 'vitest';
import { parseAssignment, parseEnvFile, resolveVariables } from './layers.js';

describe('parseEnvFile', () => {
  it('reads assignments, comments, export and quotes', () => {
    expect(parseEnvFile('# local secrets\nexport A=1\nB = "two words"\nC=\'$raw\'\nD=x # note\n\n')).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two words' },
      { name: 'C', value: '$raw' },
      { name: 'D', value: 'x' },
    ]);
  });

  it('names the file and line of a line that is not an assignment', () => {
    expect(() => parseEnvFile('A=1\nnot an assignment\n', '.glci.env')).toThrow(
      '.glci.env:2: expected KEY=VALUE, got "not an assignment"',
    );
    expect(() => parseAssignment('novalue')).toThrow('expected KEY=VALUE, got "novalue"');
  });
});

describe('resolveVariables', () => {
  it('leaves a reference cycle as written and reports it', () => {
    const resolved = resolveVariables([
      {
        source: 'yaml-global',
        label: 'variables',
        entries: [
          { name: 'A', value: '$B' },
          { name: 'B', value: '$A-x' },
          { name: 'C', value: 'c-$D' },
        ],
      },
    ]);
    expect(resolved.get('A')).toBe('$B');
    expect(resolved.get('C')).toBe('c-$D');
    expect([...resolved.cycles].sort()).toEqual(['A', 'B']);
  });
});
