import { describe, expect, it } from 'vitest';
import { dockerNamePart, runnerName } from './runner-names.js';

describe('runner names', () => {
  it('follows the three tiers', () => {
    expect(runnerName('glci', { suffix: 'a1b2', tier: 'shared' })).toBe('glci-runner-a1b2');
    expect(runnerName('glci', { suffix: 'a1b2', tier: 'project', project: 'group/app' })).toBe(
      'glci-runner-a1b2-group-app',
    );
    expect(runnerName('glci', { suffix: 'a1b2', tier: 'named', project: 'app', name: 'GPU box' })).toBe(
      'glci-runner-a1b2-app-gpu-box',
    );
  });

  it('requires the project and name the tier needs', () => {
    expect(() => runnerName('glci', { suffix: 'x', tier: 'project' })).toThrow(/needs a project/);
    expect(() => runnerName('glci', { suffix: 'x', tier: 'named', project: 'app' })).toThrow(/needs a name/);
  });

  it('keeps Docker name parts valid', () => {
    expect(dockerNamePart('-Group/Sub Group.')).toBe('group-sub-group');
  });
});
