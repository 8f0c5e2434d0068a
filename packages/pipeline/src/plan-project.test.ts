import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SecretsStore } from '@glci/gitlab';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planToJson } from './format/format-plan.js';
import { resolveJobVariables } from './job-spec.js';
import { lintProject, planProject } from './plan-project.js';
import { checkoutWebApp, standinConnection } from './test-support/standin-project.js';

// The realistic fixture (tools/gitlab-standin/fixtures): Acme's web app, whose pipeline includes
// its shared templates pinned by SHA, two catalog components (~latest, 1.0), a GitLab template, a
// remote file with integrity whose URL is a group CI/CD variable, and a local file under rules;
// planned against the GitLab stand-in (GitLab cannot run here) from a real clone of the project.

let standin: RunningStandin;
let work: string;
let webApp: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-plan-gitlab-'));
  webApp = await checkoutWebApp(standin, work);
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const freshHome = () => mkdtempSync(path.join(work, 'home-'));
const MAIN = { kind: 'branch', name: 'main' } as const;

describe("the web app's pipeline through the GitLab connection", () => {
  it('plans every include kind for main, with rules, extends and !reference across the files', async () => {
    const gitlab = standinConnection(standin, freshHome());
    const plan = await planProject({ dir: webApp, context: MAIN, gitlab });
    expect(plan.created).toBe(true);
    expect(plan.jobs.map((job) => `${job.stage}/${job.name}/${job.when}`)).toEqual([
      'build/container-build/on_success',
      'test/lint: [ruff]/on_success',
      'test/lint: [mypy]/on_success',
      'test/license_check/on_success',
      'test/unit-tests/on_success',
      'test/check-schemas/on_success',
      'package/package/on_success',
      'deploy/deploy-staging/on_success',
      'deploy/deploy-production/manual',
      'notify/notify-success/on_success',
      'notify/notify-failure/on_failure',
    ]);
    const job = (name: string) => plan.jobs.find((each) => each.name === name)!;
    // .test:base from the templates at the pinned commit (v1.1.0): its cache key and !reference.
    expect(job('unit-tests').caches[0]!.key).toMatch(/^pip-3\.12-/);
    expect(job('unit-tests').beforeScript).toEqual([
      'python --version',
      'pip install --quiet -r requirements.txt',
    ]);
    expect(job('deploy-staging').beforeScript[0]).toBe('python --version');
    expect(job('lint: [mypy]').allowFailure).toBe(true);
    expect(job('check-schemas').crossNeeds).toEqual([
      { job: 'publish-schemas', artifacts: true, project: 'acme/platform/schemas', ref: 'main' },
    ]);
    expect(plan.excluded.map((each) => each.name).sort()).toEqual(['deploy-review', 'stop-review']);
    expect(plan.context.protectedRef).toBe(true);
    expect(plan.warnings).toContain(
      "SIGNING_KEY is a hidden CI/CD variable: GitLab never hands its value out, so glci's jobs get none (set it with --env or .glci.env)",
    );
    expect(
      plan.files.filter((file) => file.origin).map((file) => file.origin!.description.split(' ')[0]),
    ).toEqual(
      expect.arrayContaining([
        'acme/platform/ci-templates:templates/base.gitlab-ci.yml',
        'acme/components/container:templates/build/template.yml',
        'acme/components/quality:templates/lint.yml',
        'template',
        'remote',
      ]),
    );
  });

  it("gives each job the CI/CD variables of its environment and the ref's protection", async () => {
    const gitlab = standinConnection(standin, freshHome());
    const main = await planProject({ dir: webApp, context: MAIN, gitlab });
    const staging = resolveJobVariables(main.jobs.find((job) => job.name === 'deploy-staging')!);
    expect(staging.get('KUBE_CONTEXT')).toBe('acme/agents:staging');
    expect(staging.get('DEPLOY_URL')).toBe('https://staging.acme.test');
    expect(staging.variables.get('KUBECONFIG_STAGING')!.entry).toMatchObject({ file: true });
    // A file variable's value is its content here; the runner writes it to a file and expands the path.
    expect(staging.variables.get('KUBECONFIG')!.entry.value).toBe('$KUBECONFIG_STAGING');
    expect(staging.variables.get('DEPLOY_TOKEN')!.entry).toMatchObject({
      masked: true,
      value: 'acme-group-deploy-token',
    });
    expect(staging.get('ACME_REGISTRY')).toBe('registry.platform.acme.test');
    expect(staging.variables.get('ACME_REGISTRY')!.overridden.map((each) => each.label)).toEqual([
      'CI/CD variables of group acme',
    ]);
    expect(staging.variables.get('SENTRY_DSN')!.entry.raw).toBe(true);
    const production = resolveJobVariables(main.jobs.find((job) => job.name === 'deploy-production')!);
    expect(production.get('DEPLOY_URL')).toBe('https://www.acme.test');
    expect(production.get('KUBE_CONTEXT')).toBe('acme/agents:production');
    expect(production.get('PROD_DEPLOY_KEY')).toBe('prod-deploy-key-7f3a9c');

    const review = await planProject({
      dir: webApp,
      context: { kind: 'merge_request' },
      mrSource: 'feature/login',
      gitlab,
    });
    const deploy = resolveJobVariables(review.jobs.find((job) => job.name === 'deploy-review')!);
    expect(deploy.get('KUBE_CONTEXT')).toBe('acme/agents:review');
    expect(deploy.get('DEPLOY_URL')).toBe('https://review.acme.test');
    expect(deploy.get('DEPLOY_TOKEN')).toBeUndefined();
    expect(review.context.protectedRef).toBe(false);
  });

  it('keeps CI/CD variable values out of the plan JSON', async () => {
    const gitlab = standinConnection(standin, freshHome());
    const plan = await planProject({ dir: webApp, context: MAIN, gitlab });
    const json = JSON.stringify(planToJson(plan));
    for (const secret of [
      'acme-group-deploy-token',
      's3cr3t-registry-pass',
      'staging-deployer-token',
      'https://staging.acme.test',
    ])
      expect(json).not.toContain(secret);
    expect(json).toContain('"KUBE_CONTEXT"');
  });

  it('plans again offline from the cache, with the variables the daemon holds in memory', async () => {
    const glciHome = freshHome();
    const store = new SecretsStore({ ttlMs: 60_000 });
    const online = await planProject({
      dir: webApp,
      context: MAIN,
      gitlab: standinConnection(standin, glciHome, { store }),
    });
    const offline = await planProject({
      dir: webApp,
      context: MAIN,
      gitlab: standinConnection(standin, glciHome, { store, offline: true }),
    });
    expect(offline.jobs.map((job) => job.name)).toEqual(online.jobs.map((job) => job.name));
    expect(offline.files.filter((file) => file.origin).every((file) => file.origin!.fromCache)).toBe(true);
    expect(offline.warnings.join('\n')).toMatch(
      /acme\/components\/container:templates\/build\/template\.yml at ~latest \([0-9a-f]{8}\): the GitLab instance could not be asked, so glci used its cached copy from \S+ \(\d+ seconds? old\)/,
    );
    // Without the daemon's memory the remote include's URL (a group variable) cannot be expanded.
    await expect(
      planProject({
        dir: webApp,
        context: MAIN,
        gitlab: standinConnection(standin, glciHome, { offline: true }),
      }),
    ).rejects.toThrow(/\$ACME_CI_REMOTE/);
  });

  it('lints the configuration with its includes (CI Lint), and without a token says what it cannot read', async () => {
    const result = await lintProject({ dir: webApp, gitlab: standinConnection(standin, freshHome()) });
    expect(result.jobs).toBe(12);
    expect(result.files).toContain('template:Jobs/License-Check.gitlab-ci.yml');
    await expect(
      lintProject({ dir: webApp, gitlab: standinConnection(standin, freshHome(), { token: null }) }),
    ).rejects.toThrow(/\$ACME_CI_REMOTE/);
  });
});
