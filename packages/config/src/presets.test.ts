import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';
import { resolvePreset } from './presets.js';

const config = parseConfig(
  `
[defaults]
concurrency = 2
image = "alpine:3.20"

[skip]
stages = [".pre"]
jobs = ["lint"]

[manual]
jobs = ["deploy"]

[pipelines.base]
stages = ["build"]
jobs = ["build-*"]
env = { A = "base", B = "base" }
no_manual = true
skip = { jobs = ["slow"] }

[pipelines.full]
extends = "base"
stages = ["test"]
jobs = ["test-*"]
env = { B = "full" }
no_manual = false
dirty = false
context = "branch=main"
manual = { job_patterns = ["^release"] }

[pipelines.loop-a]
extends = "loop-b"

[pipelines.loop-b]
extends = "loop-a"
`,
  { env: {} },
);

describe('resolvePreset', () => {
  it('gives [defaults], [skip] and [manual] without a preset', () => {
    expect(resolvePreset(config)).toMatchObject({
      concurrency: 2,
      image: 'alpine:3.20',
      executor: 'docker',
      dirty: true,
      skip: { jobs: ['lint'], stages: ['.pre'] },
      manual: { jobs: ['deploy'] },
    });
  });

  it('merges an extends chain: unions for jobs and stages, added lists, child env keys and booleans win', () => {
    const preset = resolvePreset(config, 'full');
    expect(preset.stages).toEqual(['build', 'test']);
    expect(preset.jobs).toEqual(['build-*', 'test-*']);
    expect(preset.env).toEqual({ A: 'base', B: 'full' });
    expect(preset.noManual).toBe(false);
    expect(preset.dirty).toBe(false);
    expect(preset.context).toBe('branch=main');
    expect(preset.skip.jobs).toEqual(['lint', 'slow']);
    expect(preset.manual).toEqual({ jobs: ['deploy'], jobPatterns: ['^release'] });
  });

  it('names the known presets for an unknown one, and refuses an extends cycle', () => {
    expect(() => resolvePreset(config, 'nope')).toThrow(
      /pipelines\.nope: no such preset \(presets: base, full, loop-a, loop-b\)/,
    );
    expect(() => resolvePreset(config, 'loop-a')).toThrow(ConfigError);
    expect(() => resolvePreset(config, 'loop-a')).toThrow(/extends cycle: loop-a → loop-b → loop-a/);
  });

  it('rejects unknown preset keys and bad job patterns with the key path', () => {
    expect(() => parseConfig('[pipelines.x]\nmanual_al = true\n', { env: {} })).toThrow(
      /pipelines\.x.*manual_al/,
    );
    expect(() => parseConfig('[skip]\njob_patterns = ["("]\n', { env: {} })).toThrow(
      /skip\.job_patterns\[0\]: expected a regular expression/,
    );
    expect(() => parseConfig('[projects."nogroup"]\ndir = "../x"\n', { env: {} })).toThrow(
      /projects\.nogroup/,
    );
  });
});
