import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cloneProject, type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { RUNNER_IMAGES } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, finalStates, jobLog, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * `glci run` on a real project's pipeline through the GitLab connection: Acme's web app (the
 * realistic fixture of tools/gitlab-standin), cloned from the GitLab stand-in (GitLab itself
 * cannot run here), whose configuration includes its shared templates pinned by SHA, two catalog
 * components, a GitLab template, a remote file with integrity (at a URL in a group CI/CD
 * variable) and a local file under rules. Nothing can be pulled on these machines and the
 * fixture's jobs use python and kubectl images, so the test adds jobs to the working tree (glci
 * runs the dirty tree) that run on the local alpine stand-in and check what the connection
 * brought: CI/CD variables (a masked one masked in the trace, a file one readable), a
 * `needs:project` artifact from the instance, and a dynamic child pipeline. Jobs run in real
 * Docker through the official gitlab-runner.
 */
const ADA = 'glpat-ada-maintainer-0000001';
const execFileAsync = promisify(execFile);
const ADDED_JOBS = `
# Added by the test: jobs that run on the images this machine has.
deploy-check:
  stage: deploy
  image: alpine:3.20
  environment: staging
  needs: []
  variables:
    KUBECONFIG: $KUBECONFIG_STAGING
  script:
    - echo "logging in with $REGISTRY_PASSWORD"
    - 'grep -q "server: https://k8s.staging.acme.test" "$KUBECONFIG"'
    - 'echo "kubeconfig file $KUBECONFIG readable, context $KUBE_CONTEXT, deploying to $DEPLOY_URL"'
schemas-check:
  stage: test
  image: alpine:3.20
  needs:
    - project: acme/platform/schemas
      job: publish-schemas
      ref: main
      artifacts: true
  script:
    - cat schemas/order.json
generate-child:
  stage: build
  image: alpine:3.20
  needs: []
  script:
    - >-
      printf 'child-job:\\n  image: alpine:3.20\\n  script:\\n    - echo "child of $CI_PARENT_PIPELINE_ID sees $ACME_REGISTRY"\\n' > child.yml
  artifacts:
    paths: [child.yml]
run-child:
  stage: test
  needs: [generate-child]
  trigger:
    include:
      - artifact: child.yml
        job: generate-child
    strategy: depend
`;

let machine: RunMachine;
let standin: RunningStandin;
let webApp: string;

beforeAll(async () => {
  standin = await startGitlabStandin();
  machine = await startRunMachine();
  // A copy of the instance's CA: it stays after the stand-in is gone (the offline run).
  const caFile = path.join(machine.sandbox.home, 'gitlab-ca.pem');
  copyFileSync(standin.caFile, caFile);
  appendFileSync(path.join(machine.sandbox.glciHome, 'config.toml'), `\n[gitlab]\nca_file = "${caFile}"\n`);
  machine.env.GITLAB_TOKEN = ADA;
  webApp = path.join(machine.sandbox.home, 'work', 'web-app');
  await cloneProject(standin, 'acme/platform/web-app', webApp, { token: ADA });
  const ci = path.join(webApp, '.gitlab-ci.yml');
  writeFileSync(ci, `${readFileSync(ci, 'utf8')}${ADDED_JOBS}`);
}, 600_000);

afterAll(async () => {
  await machine?.stop();
  await standin?.close();
}, 300_000);

const RUN = ['run', 'deploy-check', 'schemas-check', 'run-child', '--context', 'branch=main', '--json'];

describe('glci run through the GitLab connection', { timeout: 600_000 }, () => {
  it('runs jobs with the CI/CD variables (masked in the trace, file-type readable), a needs:project artifact and a dynamic child', async () => {
    const result = await machine.glci(RUN, webApp);
    expect(result.code, result.stderr).toBe(0);
    const root = events(result.stdout).find((event) => event.type === 'pipeline')!;
    expect(finalStates(result.stdout, Number(root.pipelineId))).toEqual({
      'deploy-check': 'success',
      'schemas-check': 'success',
      'generate-child': 'success',
      'run-child': 'success',
    });
    const deploy = jobLog(result.stdout, 'deploy-check');
    expect(deploy).toContain('logging in with [MASKED]');
    expect(deploy).not.toContain('s3cr3t-registry-pass');
    expect(deploy).toMatch(
      /kubeconfig file \S+KUBECONFIG_STAGING readable, context acme\/agents:staging, deploying to https:\/\/staging\.acme\.test/,
    );
    expect(jobLog(result.stdout, 'schemas-check')).toContain('"title": "Order"');
    const child = events(result.stdout).find(
      (event) => event.type === 'pipeline-started' && event.parentPipelineId === root.pipelineId,
    )!;
    expect(finalStates(result.stdout, Number(child.pipelineId))).toEqual({ 'child-job': 'success' });
    expect(jobLog(result.stdout, 'child-job')).toContain(
      `child of ${root.pipelineId} sees registry.platform.acme.test`,
    );
    // Nothing the daemon wrote down (history, execution files, its log) holds a secret value,
    // nor what the mock keeps of its jobs in its data volume.
    const secrets = ['staging-deployer-token', 's3cr3t-registry-pass', 'acme-group-deploy-token', ADA];
    for (const file of filesUnder(machine.sandbox.glciHome)) {
      const text = readFileSync(file);
      for (const secret of secrets) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    }
    const volumes = (
      await execFileAsync('docker', [
        'volume',
        'ls',
        '--filter',
        `label=dev.glci.instance=${machine.instance}`,
        '--format',
        '{{.Name}}',
      ])
    ).stdout
      .split('\n')
      .filter((name) => name.endsWith('mock-data'));
    expect(volumes).toHaveLength(1);
    const grep = await execFileAsync('docker', [
      'run',
      '--rm',
      '-v',
      `${volumes[0]}:/data:ro`,
      RUNNER_IMAGES.dockerCli,
      'sh',
      '-c',
      `grep -rlF -e ${secrets.map((secret) => `'${secret}'`).join(' -e ')} /data || true`,
    ]);
    expect(grep.stdout.trim()).toBe('');
  });

  it('prints the variables a job gets with --show-variables, masked values hidden, and says which fetch is slow', async () => {
    // The daemon plans; what it fetches slowly from the instance is said while it plans. Every
    // include is cached and within [gitlab] includes_ttl: --refresh-includes asks for them again.
    standin.setLatency(2_300);
    const result = await machine
      .glci(
        ['run', 'deploy-check', '--context', 'branch=main', '--show-variables', '--refresh-includes'],
        webApp,
      )
      .finally(() => standin.setLatency(0));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/glci: fetching .+ from GitLab \(2\.\d s\)…/);
    expect(result.stdout).toMatch(/variables of deploy-check:\n/);
    expect(result.stdout).toMatch(/REGISTRY_PASSWORD\s+"\[MASKED\]"\s+← CI\/CD variables of the project/);
    expect(result.stdout).toMatch(
      /KUBE_CONTEXT\s+"acme\/agents:staging"\s+← CI\/CD variables of group acme\/platform/,
    );
    expect(result.stdout).not.toContain('s3cr3t-registry-pass');
  });

  it('runs again with the GitLab instance gone: includes from the cache (their age said), variables from the daemon', async () => {
    await standin.close();
    const result = await machine.glci(
      ['run', 'deploy-check', 'run-child', '--context', 'branch=main', '--offline', '--json'],
      webApp,
    );
    expect(result.code, result.stderr).toBe(0);
    const root = events(result.stdout).find((event) => event.type === 'pipeline')!;
    expect((root.warnings as string[]).join('\n')).toMatch(
      /template Security\/License-Check\.gitlab-ci\.yml: the GitLab instance could not be asked, so glci used its cached copy from \S+ \(\d+ (second|minute)s? old\)/,
    );
    expect(finalStates(result.stdout, Number(root.pipelineId))).toMatchObject({
      'deploy-check': 'success',
      'run-child': 'success',
    });
    expect(jobLog(result.stdout, 'deploy-check')).toContain('logging in with [MASKED]');
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
