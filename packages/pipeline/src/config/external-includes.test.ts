import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mostAtOnce, type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineConfigError } from '../errors.js';
import { loadPipelineDefinition } from '../load-pipeline.js';
import { STANDIN_TOKENS, standinConnection } from '../test-support/standin-project.js';
import { createMemoryProjectFiles } from './project-files.js';

// GitLab itself cannot run here: these tests resolve includes against the GitLab stand-in
// (tools/gitlab-standin: GitLab's REST API and git over HTTPS on loopback, checked against
// GitLab's API documentation in its own tests), through the include source glci uses. Remote files
// come from a real HTTPS server on loopback.

let standin: RunningStandin;
let work: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-external-includes-'));
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const freshHome = () => mkdtempSync(path.join(work, 'home-'));
const fqdn = () => new URL(standin.url).host;

interface LoadOptions {
  token?: string | null;
  offline?: boolean;
  glciHome?: string;
  variables?: Record<string, string>;
}

async function load(files: Record<string, string>, options: LoadOptions = {}) {
  const connection = standinConnection(standin, options.glciHome ?? freshHome(), {
    token: options.token === undefined ? STANDIN_TOKENS.ada : options.token,
    ...(options.offline ? { offline: true } : {}),
  });
  return loadPipelineDefinition({
    project: createMemoryProjectFiles('/p', files),
    projectPath: 'acme/platform/docs',
    include: {
      variables: (name) => ({ CI_SERVER_FQDN: fqdn(), ...options.variables })[name as 'CI_SERVER_FQDN'],
      evaluateRules: async () => true,
      gitlab: connection.includes,
      serverFqdn: fqdn(),
    },
  });
}

async function refusal(files: Record<string, string>, options: LoadOptions = {}): Promise<string> {
  try {
    await load(files, options);
  } catch (error) {
    if (error instanceof PipelineConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const TEMPLATES = 'acme/platform/ci-templates';

describe('include:project from the instance', () => {
  it('reads files at a pinned SHA with their nested local includes (wildcards too) in that project and commit', async () => {
    const sha = standin.sha(TEMPLATES, 'v1.1.0');
    const { definition, raw } = await load({
      '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    ref: ${sha}\n    file: templates/base.gitlab-ci.yml\nunit:\n  extends: .test:base\n  script: pytest\n`,
    });
    expect(definition.stages).toContain('notify');
    expect(definition.jobs.map((job) => job.name)).toEqual(['unit']);
    expect(raw.files.map((file) => file.name)).toEqual([
      '.gitlab-ci.yml',
      `${TEMPLATES}:templates/base.gitlab-ci.yml`,
      `${TEMPLATES}:templates/rules/workflow.yml`,
      `${TEMPLATES}:templates/jobs/package.yml`,
      `${TEMPLATES}:templates/jobs/test.yml`,
    ]);
    const origin = raw.files[1]!.origin!;
    expect(origin.description).toBe(
      `${TEMPLATES}:templates/base.gitlab-ci.yml at ${sha} (${sha.slice(0, 8)})`,
    );
    expect(origin.fromCache).toBe(false);
    expect(Date.parse(origin.fetchedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('takes a tag, a file list, and the default branch when there is no ref', async () => {
    const { definition } = await load({
      '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    ref: v1.0.0\n    file: [templates/rules/workflow.yml, templates/jobs/test.yml]\n  - project: ${TEMPLATES}\n    file: /templates/jobs/test.yml\nunit:\n  extends: .test:python\n  script: pytest\n`,
    });
    // `.test:python` exists only on main (the default branch), which the second include reads.
    expect(definition.jobs[0]!.stage).toBe('test');
    expect(definition.workflow?.rules).toHaveLength(4);
  });

  it('says what GitLab says about a missing project, ref or file, at the include entry', async () => {
    expect(
      await refusal(
        { '.gitlab-ci.yml': 'include:\n  - project: acme/platform/web-app\n    file: ci/deploy.yml\n' },
        { token: STANDIN_TOKENS.eve },
      ),
    ).toMatch(
      /^\.gitlab-ci\.yml:2:5: include:0 Project `acme\/platform\/web-app` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined\. \(.*answered 404 \(404 Project Not Found\)/,
    );
    expect(
      await refusal({
        '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    ref: v9.9.9\n    file: templates/base.gitlab-ci.yml\n`,
      }),
    ).toContain(
      `include:0 Project \`${TEMPLATES}\` reference \`v9.9.9\` does not exist! (ref of ${TEMPLATES} at v9.9.9`,
    );
    expect(
      await refusal({
        '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    ref: v1.0.0\n    file: templates/nope.yml\n`,
      }),
    ).toContain(
      `.gitlab-ci.yml:2:5: include:0 Project \`${TEMPLATES}\` file \`templates/nope.yml\` does not exist! (at ref v1.0.0)`,
    );
  });

  it('says the token was refused (401), with where it came from and not its value', async () => {
    const message = await refusal(
      { '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    file: templates/base.gitlab-ci.yml\n` },
      { token: STANDIN_TOKENS.revoked },
    );
    expect(message).toContain('answered 401');
    expect(message).toContain('the token from the GITLAB_TOKEN environment variable was refused');
    expect(message).not.toContain(STANDIN_TOKENS.revoked);
  });
});

describe('include:component from the instance', () => {
  it('resolves ~latest to the highest release and a partial version within it, with spec:inputs and $[[ component.* ]]', async () => {
    const { definition } = await load({
      '.gitlab-ci.yml': `include:\n  - component: $CI_SERVER_FQDN/acme/components/container/build@~latest\n    inputs: {image: registry.acme.test/web, push: true}\n  - component: ${fqdn()}/acme/components/quality/lint@1.0\n    inputs: {linters: [ruff, mypy], allow_failure: true}\n`,
    });
    const build = definition.jobs.find((job) => job.name === 'container-build')!;
    // 2.0.0 (not 1.2.0, released later, nor the 2.1.0-rc.1 pre-release) has `push` and rules.
    expect(build.variables).toContainEqual(expect.objectContaining({ name: 'PUSH_IMAGE', value: 'true' }));
    expect(build.rules).toHaveLength(2);
    const lint = definition.jobs.find((job) => job.name === 'lint')!;
    // 1.0 is 1.0.1 (Python 3.12), not 1.1.0.
    expect(lint.image?.name).toBe('python:3.12-slim');
    expect(lint.allowFailure).toBe(true);
  });

  it("refuses a component that has no such template, in GitLab's words", async () => {
    expect(
      await refusal({
        '.gitlab-ci.yml': `include:\n  - component: ${fqdn()}/acme/components/container/deploy@2.0.0\n`,
      }),
    ).toContain(`include:0 Component '${fqdn()}/acme/components/container/deploy@2.0.0' - content not found`);
  });
});

describe('include:template and include:remote', () => {
  it("reads GitLab's templates as the instance serves them, with their nested template includes", async () => {
    const { definition, raw } = await load({
      '.gitlab-ci.yml': 'include:\n  - template: Security/License-Check.gitlab-ci.yml\n',
    });
    const job = definition.jobs.find((each) => each.name === 'license_check')!;
    expect(job.variables).toContainEqual(
      expect.objectContaining({ name: 'LICENSE_CHECK_REPORT_FORMAT', value: 'json' }),
    );
    expect(raw.files.map((file) => file.name)).toEqual([
      '.gitlab-ci.yml',
      'template:Security/License-Check.gitlab-ci.yml',
      'template:Jobs/License-Check.gitlab-ci.yml',
    ]);
    expect(await refusal({ '.gitlab-ci.yml': 'include:\n  - template: Nope.gitlab-ci.yml\n' })).toContain(
      'include:0 Included file `Nope.gitlab-ci.yml` is empty or does not exist!',
    );
    expect(await refusal({ '.gitlab-ci.yml': 'include:\n  - template: Jobs/Build.yml\n' })).toContain(
      'Template file `Jobs/Build.yml` is not a valid location!',
    );
  });

  it('checks a remote file against its integrity, refusing a mismatch, and expands CI/CD variables in its URL', async () => {
    const remote = `${standin.remote.url}/ci/notify.yml`;
    const good = 'sha256-W+rtTVYeTY8m5B8nD3agQzre6TSuraIZSe+ikaBdr7Q=';
    const { definition } = await load(
      {
        '.gitlab-ci.yml': `include:\n  - remote: $ACME_CI_REMOTE/notify.yml\n    integrity: ${good}\nstages: [notify]\n`,
      },
      { variables: { ACME_CI_REMOTE: `${standin.remote.url}/ci` } },
    );
    expect(definition.jobs.map((job) => job.name)).toEqual(['notify-success', 'notify-failure']);
    const message = await refusal({
      '.gitlab-ci.yml': `include:\n  - remote: ${remote}\n    integrity: sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`,
    });
    expect(message).toContain(`.gitlab-ci.yml:2:5: include:0 Remote file \`${remote}\` was refused`);
    expect(
      await refusal({ '.gitlab-ci.yml': `include:\n  - remote: ${standin.remote.url}/ci/missing.yml\n` }),
    ).toContain('could not be fetched because of HTTP code `404` error!');
  });

  it('fetches a file included twice once, and the entries of one file in parallel', async () => {
    standin.setLatency(40);
    try {
      const remote = `${standin.remote.url}/ci/notify.yml`;
      const before = standin.requests.length;
      const remoteBefore = standin.remote.requests.length;
      await load({
        '.gitlab-ci.yml': `include:\n  - remote: ${remote}\n  - project: ${TEMPLATES}\n    ref: v1.0.0\n    file: templates/jobs/test.yml\n  - template: Jobs/License-Check.gitlab-ci.yml\n  - local: again.yml\nstages: [test, notify]\n`,
        'again.yml': `include:\n  - remote: ${remote}\n`,
      });
      expect(
        standin.remote.requests.slice(remoteBefore).filter((each) => each === '/ci/notify.yml'),
      ).toHaveLength(1);
      // The project's ref, its file and the template were asked for at the same time.
      expect(mostAtOnce(standin.requests.slice(before))).toBeGreaterThan(1);
    } finally {
      standin.setLatency(0);
    }
  });
});

describe('offline, from the cache', () => {
  it('plans from the cache with the age of each moving file, and names what the cache lacks', async () => {
    const glciHome = freshHome();
    const files = {
      '.gitlab-ci.yml': `include:\n  - component: ${fqdn()}/acme/components/container/build@~latest\n    inputs: {image: x}\n  - template: Jobs/License-Check.gitlab-ci.yml\n`,
    };
    await load(files, { glciHome });
    const { raw, warnings, definition } = await load(files, { glciHome, offline: true });
    expect(definition.jobs.map((job) => job.name)).toEqual(['container-build', 'license_check']);
    expect(raw.files.slice(1).every((file) => file.origin?.fromCache)).toBe(true);
    expect(warnings.join('\n')).toMatch(
      /template Jobs\/License-Check\.gitlab-ci\.yml: the GitLab instance could not be asked, so glci used its cached copy from .* \(\d+ seconds? old\)/,
    );
    expect(warnings.join('\n')).toContain(
      'acme/components/container:templates/build/template.yml at ~latest',
    );
    const missing = await refusal(
      {
        '.gitlab-ci.yml': `include:\n  - project: ${TEMPLATES}\n    ref: v1.0.0\n    file: templates/jobs/test.yml\n`,
      },
      { glciHome, offline: true },
    );
    expect(missing).toContain(
      `.gitlab-ci.yml:2:5: include:0 ref v1.0.0 of ${TEMPLATES} is not in glci's include cache`,
    );
  });
});

describe("GitLab's limits", () => {
  it('refuses more than 150 includes (every occurrence counts)', async () => {
    const files: Record<string, string> = {
      '.gitlab-ci.yml': `include:\n${Array.from({ length: 151 }, (_, index) => `  - local: f${index}.yml\n`).join('')}`,
    };
    for (let index = 0; index < 151; index++) files[`f${index}.yml`] = `j${index}:\n  script: x\n`;
    expect(await refusal(files)).toContain('Maximum of 150 nested includes are allowed!');
    files['.gitlab-ci.yml'] =
      `include:\n${Array.from({ length: 150 }, (_, index) => `  - local: f${index}.yml\n`).join('')}`;
    expect((await load(files)).definition.jobs).toHaveLength(150);
  });
});
