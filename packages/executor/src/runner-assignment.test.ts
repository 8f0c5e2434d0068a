import { parseConfig } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { assignRunner, type ConfiguredRunner, configuredRunners } from './runner-assignment.js';

const config = parseConfig(
  `
[runners.gpu]
tags = ["gpu"]

[runners.big]
tags = ["docker", "large"]

[runners.general]
tags = ["docker"]
run_untagged = true

[projects."group/app".runners.deploy]
tags = ["deploy", "docker"]
`,
  { env: {} },
);
const runners = configuredRunners(config, config, 'group/app');
const names = (assignment: ReturnType<typeof assignRunner>) =>
  assignment.kind === 'runnable' ? assignment.runners.map((runner) => runner.name) : assignment.kind;

describe('configuredRunners', () => {
  it("lists the project's own runners first, then the shared ones, with GitLab's run_untagged default", () => {
    expect(
      runners.map(({ name, scope, runUntagged, table }) => ({ name, scope, runUntagged, table })),
    ).toEqual([
      {
        name: 'deploy',
        scope: 'project',
        runUntagged: false,
        table: '[projects."group/app".runners.deploy]',
      },
      { name: 'gpu', scope: 'shared', runUntagged: false, table: '[runners.gpu]' },
      { name: 'big', scope: 'shared', runUntagged: false, table: '[runners.big]' },
      { name: 'general', scope: 'shared', runUntagged: true, table: '[runners.general]' },
    ]);
    expect(configuredRunners(config, config, 'group/other').map((runner) => runner.name)).toEqual([
      'gpu',
      'big',
      'general',
    ]);
  });
});

describe('configuredRunners across the two files', () => {
  it("makes a project file's runners the project's own, and lets them win over a shared one of the same name", () => {
    const user = parseConfig('[runners.gpu]\ntags = ["gpu"]\n[runners.big]\ntags = ["large"]\n', { env: {} });
    const merged = parseConfig(
      '[runners.gpu]\ntags = ["gpu"]\n[runners.big]\ntags = ["large", "fast"]\n[runners.mine]\ntags = ["mine"]\n',
      { env: {} },
    );
    expect(
      configuredRunners(user, merged, 'group/app').map(({ name, scope, table }) => ({ name, scope, table })),
    ).toEqual([
      { name: 'big', scope: 'project', table: '[runners.big] of .glciconfig.toml' },
      { name: 'mine', scope: 'project', table: '[runners.mine] of .glciconfig.toml' },
      { name: 'gpu', scope: 'shared', table: '[runners.gpu]' },
    ]);
  });
});

describe('assignRunner', () => {
  it('gives a tagged job to the runners that have ALL its tags', () => {
    expect(names(assignRunner({ name: 'train', tags: ['gpu'] }, runners))).toEqual(['gpu']);
    expect(names(assignRunner({ name: 'build', tags: ['docker', 'large'] }, runners))).toEqual(['big']);
    expect(names(assignRunner({ name: 'lint', tags: ['docker'] }, runners))).toEqual([
      'deploy',
      'big',
      'general',
    ]);
    expect(names(assignRunner({ name: 'ship', tags: ['deploy'] }, runners))).toEqual(['deploy']);
    // Order and repetition of the job's tags do not matter; a runner's extra tags do not stop it.
    expect(names(assignRunner({ name: 'b', tags: ['large', 'docker', 'large'] }, runners))).toEqual(['big']);
  });

  it('gives an untagged job to the shared runner and the runners that run untagged jobs', () => {
    const assignment = assignRunner({ name: 'test' }, runners);
    expect(assignment).toMatchObject({ kind: 'runnable', shared: true });
    expect(names(assignment)).toEqual(['general']);
    expect(assignRunner({ name: 'test', tags: [] }, [])).toEqual({
      kind: 'runnable',
      shared: true,
      runners: [],
    });
  });

  it('never reroutes a job whose tags no runner has all of: it stays pending, naming the tags and the fix', () => {
    const assignment = assignRunner({ name: 'render', tags: ['gpu', 'large'] }, runners);
    expect(assignment.kind).toBe('pending');
    if (assignment.kind !== 'pending') return;
    expect(assignment.tags).toEqual(['gpu', 'large']);
    expect(assignment.message).toBe(
      'job "render" is pending: no runner has all of its tags (gpu, large); the runners are glci shared runner ' +
        '(untagged jobs) and [projects."group/app".runners.deploy] (tags deploy, docker), [runners.gpu] (tags gpu), ' +
        '[runners.big] (tags docker, large), [runners.general] (tags docker). A runner in ~/.glci/config.toml would run it:\n' +
        '  [runners.gpu-large]\n  tags = ["gpu", "large"]\n' +
        'or run with --any-runner to run it on the shared runner',
    );
  });

  it('says when only the shared runner exists', () => {
    const assignment = assignRunner({ name: 'x', tags: ['arm64'] }, []);
    expect(assignment.kind === 'pending' && assignment.message).toContain(
      'there is only glci shared runner, which runs untagged jobs. A runner in ~/.glci/config.toml would run it:\n  [runners.arm64]\n  tags = ["arm64"]',
    );
  });

  it('runs such a job on the shared runner with --any-runner, as before tags were matched', () => {
    expect(assignRunner({ name: 'x', tags: ['arm64'] }, runners, { anyRunner: true })).toEqual({
      kind: 'any-runner',
      tags: ['arm64'],
    });
    // A job that has a runner still goes to it.
    expect(names(assignRunner({ name: 't', tags: ['gpu'] }, runners, { anyRunner: true }))).toEqual(['gpu']);
  });

  it('matches exactly as the mock does for registered runners (the same rule, one implementation)', () => {
    const lone: ConfiguredRunner[] = [{ ...runners[1]!, tags: ['a', 'b'], runUntagged: false }];
    expect(assignRunner({ name: 'j', tags: ['a'] }, lone).kind).toBe('runnable');
    expect(assignRunner({ name: 'j', tags: ['a', 'c'] }, lone).kind).toBe('pending');
  });
});
