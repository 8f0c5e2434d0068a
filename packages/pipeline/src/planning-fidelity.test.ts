import { describe, expect, it } from 'vitest';
import { PipelineConfigError } from './errors.js';
import { assertRunnable, resolveJobVariables, toJobSpec } from './job-spec.js';
import type { PipelinePlan } from './plan/plan-types.js';
import { jobsOf, planFiles } from './test-support/fixtures.js';

/**
 * The sixteen places where glci planned differently from GitLab (issue 22), each written here as
 * a small project of our own: what GitLab creates, or the reason it refuses.
 */

async function plan(ci: string, extra: Record<string, string> = {}): Promise<PipelinePlan> {
  return planFiles({ '.gitlab-ci.yml': ci, ...extra }, { context: { kind: 'branch', name: 'main' } });
}

async function refusal(ci: string): Promise<string> {
  try {
    await plan(ci);
  } catch (error) {
    if (error instanceof PipelineConfigError) return error.message;
    throw error;
  }
  throw new Error('expected GitLab to refuse this configuration');
}

describe('planning as GitLab plans', () => {
  it('keeps single-letter keys such as Y and n as names (Psych reads them as strings)', async () => {
    const result = await plan(
      'variables:\n  Y: on-value\n  n: off-value\n  ANSWER: y\n' +
        'deploy:\n  script: echo $Y\n  rules:\n    - if: $Y == "on-value"\n',
    );
    const variables = resolveJobVariables(result.jobs[0]!);
    expect(jobsOf(result)).toEqual({ deploy: 'on_success' });
    expect(variables.get('Y')).toBe('on-value');
    expect(variables.get('n')).toBe('off-value');
    expect(variables.get('ANSWER')).toBe('y');
    expect(variables.get('true')).toBeUndefined();
  });

  it('lets an empty needs list download from dependencies (the subset check needs some needs)', async () => {
    const result = await plan(
      'compile:\n  stage: build\n  script: make\npublish:\n  stage: deploy\n  needs: []\n  dependencies: [compile]\n  script: ship\n',
    );
    const publish = result.jobs.find((job) => job.name === 'publish')!;
    expect(publish.needs).toEqual([]);
    expect(publish.dependencies).toEqual(['compile']);
  });

  it('refuses a need or dependency of no job when the configuration is loaded, before rules', async () => {
    const message = await refusal(
      'check:\n  stage: test\n  needs: [missing-one]\n  script: echo\n  rules: [{when: never}]\nother:\n  script: echo\n',
    );
    expect(message).toContain('check job: undefined need: missing-one');
    expect(
      await refusal('check:\n  stage: test\n  needs: []\n  dependencies: [gone]\n  script: echo\n'),
    ).toContain('check job: undefined dependency: gone');
    expect(
      await refusal(
        'early:\n  stage: build\n  needs: [late]\n  script: a\nlate:\n  stage: deploy\n  script: b\n',
      ),
    ).toContain('early job: need late is not defined in current or prior stages');
    expect(
      await refusal(
        'a:\n  stage: build\n  script: a\nb:\n  stage: build\n  script: b\nc:\n  needs: [a]\n  dependencies: [b]\n  script: c\n',
      ),
    ).toContain('jobs:c:dependencies the b should be part of needs');
  });

  it('flattens a list of needs that a !reference put inside the needs list', async () => {
    const result = await plan(
      '.shared:\n  needs: [compile]\ncompile:\n  stage: build\n  script: make\nlint:\n  stage: build\n  script: lint\n' +
        'unit:\n  stage: test\n  needs: [!reference [.shared, needs], {job: lint, artifacts: false}]\n  script: test\n',
    );
    const unit = result.jobs.find((job) => job.name === 'unit')!;
    expect(unit.needs).toEqual([
      { job: 'compile', artifacts: true, optional: false },
      { job: 'lint', artifacts: false, optional: false },
    ]);
  });

  it('refuses a job that needs itself, and two jobs that need each other', async () => {
    expect(await refusal('loop:\n  needs: [loop]\n  script: echo\n')).toContain(
      'The pipeline has circular dependencies: self-dependency: loop',
    );
    expect(
      await refusal('left:\n  needs: [right]\n  script: echo\nright:\n  needs: [left]\n  script: echo\n'),
    ).toContain('The pipeline has circular dependencies: topological sort failed: ["left", "right"]');
  });

  it('refuses rules: [] as blank', async () => {
    expect(await refusal('gated:\n  rules: []\n  script: echo\nfree:\n  script: echo\n')).toContain(
      "jobs:gated:rules config can't be blank",
    );
  });

  it('allows when: never only inside rules', async () => {
    expect(await refusal('disabled:\n  when: never\n  script: echo\nenabled:\n  script: echo\n')).toContain(
      'jobs:disabled when should be one of: on_success, on_failure, always, manual, delayed',
    );
    const result = await plan(
      'disabled:\n  rules: [{when: never}]\n  script: echo\nenabled:\n  script: echo\n',
    );
    expect(jobsOf(result)).toEqual({ enabled: 'on_success' });
  });

  it('refuses a braced variable in rules:if: the expression lexer knows $NAME only', async () => {
    const message = await refusal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the GitLab syntax under test
      'job:\n  rules:\n    - if: \'${CI_COMMIT_BRANCH} == "main"\'\n  script: echo\n',
    );
    expect(message).toContain('jobs:job:rules:rule if invalid expression syntax');
  });

  it('takes boolean variable values as the strings true and false', async () => {
    const result = await plan(
      'variables:\n  FEATURE: true\nbuild:\n  variables:\n    QUIET: off\n  script: echo\n',
    );
    const variables = resolveJobVariables(result.jobs[0]!);
    expect(variables.get('FEATURE')).toBe('true');
    expect(variables.get('QUIET')).toBe('false');
  });

  it('reads a flow sequence whose closing bracket is less indented than its items, as libyaml does', async () => {
    const result = await plan(
      'matrix-job:\n  parallel:\n    matrix:\n      - OS: [\n          "linux",\n          "mac"\n      ]\n  script: echo $OS\n',
    );
    expect(result.jobs.map((job) => job.name)).toEqual(['matrix-job: [linux]', 'matrix-job: [mac]']);
  });

  it('resolves a need that names one matrix instance', async () => {
    const result = await plan(
      'compile:\n  stage: build\n  parallel:\n    matrix:\n      - CPU: [amd64, arm64]\n  script: make\n' +
        'smoke:\n  stage: test\n  needs: ["compile: [arm64]"]\n  script: run\n',
    );
    expect(result.jobs.find((job) => job.name === 'smoke')!.needs).toEqual([
      { job: 'compile: [arm64]', artifacts: true, optional: false },
    ]);
  });

  it('plans id_tokens with their audiences (variables expanded)', async () => {
    const result = await plan(
      'default:\n  id_tokens:\n    FALLBACK: {aud: https://fallback.example}\n' +
        'login:\n  id_tokens:\n    VAULT_ID_TOKEN:\n      aud: [https://vault.example, $CI_SERVER_URL]\n  script: echo\n' +
        'plain:\n  script: echo\n',
    );
    expect(result.jobs.find((job) => job.name === 'login')!.idTokens).toEqual({
      VAULT_ID_TOKEN: ['https://vault.example', 'https://gitlab.example.com'],
    });
    expect(result.jobs.find((job) => job.name === 'plain')!.idTokens).toEqual({
      FALLBACK: ['https://fallback.example'],
    });
  });

  it('plans needs of other pipelines and projects apart from this pipeline’s needs', async () => {
    const result = await plan(
      'compile:\n  stage: build\n  script: make\n' +
        'reuse:\n  stage: test\n  needs:\n    - pipeline: $PARENT_PIPELINE_ID\n      job: parent-build\n' +
        '    - {project: group/lib, job: package, ref: main, artifacts: true}\n    - compile\n  script: echo\n',
    );
    const reuse = result.jobs.find((job) => job.name === 'reuse')!;
    expect(reuse.needs).toEqual([{ job: 'compile', artifacts: true, optional: false }]);
    expect(reuse.crossNeeds).toEqual([
      { job: 'parent-build', artifacts: true, pipeline: '$PARENT_PIPELINE_ID' },
      { job: 'package', artifacts: true, project: 'group/lib', ref: 'main' },
    ]);
  });

  it('plans secrets (glci run refuses them) and keeps the variable names', async () => {
    const result = await plan(
      'deploy:\n  secrets:\n    DB_PASSWORD:\n      vault: db/password@ops\n  script: echo\n',
    );
    expect(result.jobs[0]!.secrets).toEqual(['DB_PASSWORD']);
    expect(() => assertRunnable(result)).toThrow(
      /jobs:deploy:secrets secrets \(DB_PASSWORD\) come from a secret manager/,
    );
  });

  it('lets glci run take id_tokens to the runner and needs:project, and refuses needs:pipeline outside a child pipeline', async () => {
    const tokens = await plan(
      'login:\n  id_tokens:\n    T: {aud: [a, b]}\n    U: {aud: c}\n  script: echo\n',
    );
    expect(() => assertRunnable(tokens)).not.toThrow();
    const spec = toJobSpec(tokens, tokens.jobs[0]!, { pipelineId: 1, projectPath: 'group/app' });
    expect(spec.id_tokens).toEqual({ T: { aud: ['a', 'b'] }, U: { aud: 'c' } });
    const cross = await plan(
      'reuse:\n  needs: [{pipeline: $PARENT_PIPELINE_ID, job: build}]\n  script: echo\n',
    );
    expect(() => assertRunnable(cross)).toThrow(
      /needs:pipeline \(build\) takes artifacts from the parent pipeline \(\$PARENT_PIPELINE_ID\), and this pipeline is not a child pipeline/,
    );
    const project = await plan(
      'reuse:\n  needs: [{project: group/lib, job: build, ref: main, artifacts: true}]\n  script: echo\n',
    );
    expect(() => assertRunnable(project)).not.toThrow();
  });

  it('reads a component of this very project from the working tree, without a mapping', async () => {
    const result = await plan(
      'include:\n  - component: $CI_SERVER_HOST/$CI_PROJECT_PATH/deploy@$CI_COMMIT_SHA\nstages: [deploy]\n',
      {
        'templates/deploy.yml':
          'spec:\n  inputs:\n    environment:\n      default: dev\n---\n' +
          'deploy-$[[ inputs.environment ]]:\n  stage: deploy\n  script: echo deploy\n',
      },
    );
    expect(jobsOf(result)).toEqual({ 'deploy-dev': 'on_success' });
  });

  it('names the missing matrix instance when a selector matches none', async () => {
    const message = await refusal(
      'compile:\n  stage: build\n  parallel:\n    matrix:\n      - CPU: [x64, arm]\n        OS: [linux, mac]\n  script: make\n' +
        'smoke:\n  stage: test\n  needs:\n    - job: compile\n      parallel:\n        matrix:\n          - CPU: x64\n  script: run\n',
    );
    expect(message).toContain('smoke job: undefined need: compile: [x64]');
    expect(message).not.toContain("'compile' does not exist");
  });

  it('flattens a cache list taken from an anchor that is itself a list', async () => {
    const result = await plan(
      '.go-cache: &go_cache\n  - key: modules\n    paths: [.go/pkg/mod/]\n' +
        'build:\n  cache:\n    - *go_cache\n    - {key: tools, paths: [bin/]}\n  script: go build\n',
    );
    expect(result.jobs[0]!.caches.map((cache) => cache.key)).toEqual(['modules', 'tools']);
  });
});
