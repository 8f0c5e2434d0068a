import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.js';

describe('parseOptions', () => {
  it('defaults to the full benchmark of glci with the table on stdout', () => {
    expect(parseOptions([])).toEqual({
      quick: false,
      json: false,
      candidate: 'glci',
      build: true,
      prime: true,
      help: false,
      list: false,
    });
  });

  it('reads --quick, --only, --runs, --candidate and both forms of --json', () => {
    const options = parseOptions([
      '--quick',
      '--only',
      'pull, manifest-get',
      '--runs=5',
      '--candidate',
      'distribution',
      '--json',
    ]);
    expect(options).toMatchObject({ quick: true, json: true, repetitions: 5, candidate: 'distribution' });
    expect([...(options.only ?? [])]).toEqual(['pull', 'manifest-get']);
    expect(parseOptions(['--json', 'out.json', '--quick'])).toMatchObject({ json: 'out.json', quick: true });
    expect(parseOptions(['--', '--json=r.json']).json).toBe('r.json');
    expect(parseOptions(['--no-build']).build).toBe(false);
    expect(parseOptions(['--no-prime']).prime).toBe(false);
    expect(parseOptions(['--chart', 'run.svg']).chart).toBe('run.svg');
    expect(parseOptions(['--json', 'r.json', '--no-chart']).chart).toBe(false);
    expect(parseOptions([]).chart).toBeUndefined();
  });

  it('refuses unknown arguments and bad values with the usage', () => {
    expect(() => parseOptions(['--fast'])).toThrow(/unknown argument --fast[\s\S]*usage: pnpm bench/);
    expect(parseOptions(['--candidate=crane']).candidate).toBe('crane');
    expect(() => parseOptions(['--candidate', 'zot'])).toThrow(/glci, distribution or crane/);
    expect(() => parseOptions(['--runs', '0'])).toThrow(/1\.\.20/);
    expect(() => parseOptions(['--only'])).toThrow(/--only needs a value/);
    expect(() => parseOptions(['--chart'])).toThrow(/--chart needs a value/);
  });
});
