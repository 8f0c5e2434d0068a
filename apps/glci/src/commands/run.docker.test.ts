import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerOutputInLog,
  events,
  finalStates,
  HUB_AUTHORIZATION,
  jobLog,
  liveOutput,
  type RunMachine,
  startRunMachine,
} from '../test-support/glci-run.js';

/**
 * `glci run` as a user runs it, on the examples: the daemon started by the CLI, the mock and the
 * official runner (17.9.0, built from source) in containers, jobs in real Docker, Docker Hub
 * images through glci's pull-through cache from a local upstream (counted there).
 */
const execFileAsync = promisify(execFile);
let machine: RunMachine;
let webapp: string;

beforeAll(async () => {
  machine = await startRunMachine();
  webapp = await machine.project('webapp');
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

const registryTags = async (repository: string) => {
  const response = await fetch(`http://127.0.0.1:${machine.port}/v2/${repository}/tags/list`);
  return response.ok ? ((await response.json()) as { tags: string[] }).tags.sort() : [];
};

describe('glci run', { timeout: 600_000 }, () => {
  it('runs the webapp example on the default branch: build, test with a service, DinD build and push, deploy of the pushed image', async () => {
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], webapp);
    expect(result.code, result.stderr).toBe(0);
    const pipeline = events(result.stdout).find((event) => event.type === 'pipeline')!;
    expect(pipeline).toMatchObject({
      context: 'branch=main',
      stages: ['build', 'test', 'package', 'deploy'],
    });
    expect(finalStates(result.stdout)).toEqual({
      build: 'success',
      lint: 'success',
      audit: 'failed (allowed)',
      test: 'success',
      package: 'success',
      deploy: 'success',
    });
    // The test job reached its service; the dotenv report's IMAGE_TAG reached package and deploy.
    expect(jobLog(result.stdout, 'test')).toMatch(/the service answered with [1-9]\d* bytes/);
    expect(jobLog(result.stdout, 'test')).toContain('Job succeeded');
    const sha = String(pipeline.sha).slice(0, 8);
    expect(jobLog(result.stdout, 'deploy')).toContain(`webapp version 1.4-${sha}`);
    // The image is in the embedded registry under the project's path.
    expect(await registryTags('examples/webapp')).toEqual([`1.4-${sha}`, 'latest']);
    // Every Docker Hub image came from the upstream once: alpine for build and for the
    // Dockerfile's FROM (inside DinD, through its mirror), nginx, docker, docker:dind.
    for (const image of [
      'alpine/manifests/3.20',
      'nginx/manifests/alpine',
      'docker/manifests/27',
      'docker/manifests/27-dind',
    ]) {
      expect(machine.upstream.count(new RegExp(`^GET /v2/library/${image} 200$`)), image).toBe(1);
    }
    // What glci showed live from Docker is what the runner's log holds of each job's containers,
    // byte for byte and in order: the preview and the record end identical.
    for (const job of Object.keys(finalStates(result.stdout))) {
      const raw = await machine.glci(['log', '--raw', String(pipeline.pipelineId), job], webapp);
      expect(raw.code, raw.stderr).toBe(0);
      const recorded = containerOutputInLog(raw.stdout);
      expect(recorded.stdout.length, job).toBeGreaterThan(0);
      expect(liveOutput(result.stdout, job), job).toEqual(recorded);
    }
  });

  it('runs it again from the caches: the toolchain from the CI cache, nothing pulled from the upstream; --push-through mirrors the pushed image there', async () => {
    machine.upstream.reset();
    const result = await machine.glci(
      ['run', '--context', 'branch=main', '--push-through', '--json'],
      webapp,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(jobLog(result.stdout, 'build')).toContain('toolchain from the cache');
    // What reached the upstream is the mirror's push of examples/webapp, nothing else.
    // (The upstream wants a login: challenges answered with it are not pushes.)
    const pushes = machine.upstream.requests.filter(
      (request) => !/^GET \/v2\/ (200|401)$/.test(request) && !request.endsWith(' 401'),
    );
    expect(pushes.length).toBeGreaterThan(0);
    for (const request of pushes) expect(request).toMatch(/^(HEAD|POST|PATCH|PUT) \/v2\/examples\/webapp\//);
    expect(machine.upstream.count(/^PUT \/v2\/examples\/webapp\/manifests\/latest 201$/)).toBe(1);
    const mirrored = await fetch(`${machine.upstream.url}/v2/examples/webapp/tags/list`, {
      headers: { Authorization: HUB_AUTHORIZATION },
    });
    expect(((await mirrored.json()) as { tags: string[] }).tags.sort()).toEqual(
      await registryTags('examples/webapp'),
    );
  });

  it("pulls the pushed image into the host's Docker under a prefix, then cleans the project's images and the CI cache", async () => {
    const prefix = `glci-test-${machine.instance}`;
    const pulled = await machine.glci(
      ['registry', 'pull', 'examples/webapp:latest', prefix, '--json'],
      webapp,
    );
    expect(pulled.code, pulled.stderr).toBe(0);
    const { image, tagged } = JSON.parse(pulled.stdout) as { image: string; tagged: string };
    expect(image).toBe(`127.0.0.1:${machine.port}/examples/webapp:latest`);
    expect(tagged).toBe(`${prefix}/examples/webapp:latest`);
    try {
      const served = await execFileAsync('docker', ['run', '--rm', tagged, 'cat', '/srv/index.html']);
      expect(served.stdout).toContain('webapp version 1.4');
    } finally {
      await execFileAsync('docker', ['image', 'rm', tagged, image]).catch(() => undefined);
    }
    const elsewhere = await machine.glci(['registry', 'pull', 'registry.gitlab.com/examples/webapp'], webapp);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('is not in the embedded registry');

    const cleaned = await machine.glci(
      ['registry', 'clean', '--project', 'examples/webapp', '--force', '--json'],
      webapp,
    );
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const report = JSON.parse(cleaned.stdout) as { repositories: string[]; blobsDeleted: number };
    expect(report.repositories).toEqual(['examples/webapp']);
    expect(report.blobsDeleted).toBeGreaterThan(0);
    // The push-through mirror put the image upstream, where the pull-through cache would find it
    // again: with the upstream away, the embedded registry shows it has none left.
    await machine.upstream.stop();
    try {
      expect(await registryTags('examples/webapp')).toEqual([]);
    } finally {
      await machine.upstream.start();
    }

    const cache = await machine.glci(['system', 'cache', 'clean', '--json'], webapp);
    expect(cache.code, cache.stderr).toBe(0);
    expect((JSON.parse(cache.stdout) as { entries: number }).entries).toBeGreaterThan(0);
    const again = await machine.glci(['system', 'cache', 'clean', '--json'], webapp);
    expect(JSON.parse(again.stdout)).toEqual({ entries: 0, bytes: 0 });
  });

  it('runs without the embedded registry: no CI_REGISTRY variables, images pulled by the runner', async () => {
    const project = await machine.projectFrom('no-registry', {
      '.gitlab-ci.yml': [
        'show:',
        // Tags pick runners, as on GitLab: no configured runner has these, so --any-runner lets the
        // shared runner take the job (without it the job stays pending: run-runners.docker.test.ts).
        '  tags: [docker, linux]',
        '  script:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, literally
        '    - echo "registry=[${CI_REGISTRY:-none}] image=[${CI_REGISTRY_IMAGE:-none}] mirror=[${DOCKER_REGISTRY_MIRROR:-none}]"',
        '',
      ].join('\n'),
    });
    const result = await machine.glci(
      ['run', '--context', 'branch=main', '--no-registry', '--any-runner', '--json'],
      project,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(jobLog(result.stdout, 'show')).toContain('registry=[none] image=[none] mirror=[none]');
  });

  it('plans by context: no deploy on a feature branch; only the named job and what it needs', async () => {
    const result = await machine.glci(['run', 'lint', '--context', 'branch=feature/x', '--json'], webapp);
    expect(result.code, result.stderr).toBe(0);
    const pipeline = events(result.stdout).find((event) => event.type === 'pipeline')!;
    expect(pipeline.context).toBe('branch=feature/x');
    expect(finalStates(result.stdout)).toEqual({ lint: 'success' });
    const plan = async (context: string) =>
      JSON.parse((await machine.glci(['show', '--context', context, '--json'], webapp)).stdout) as {
        jobs: { name: string }[];
        excluded: { name: string }[];
      };
    expect((await plan('branch=feature/x')).excluded.map((job) => job.name)).toEqual(['deploy']);
    expect((await plan('branch=main')).jobs.map((job) => job.name)).toContain('deploy');
    // Its jobs have no rules, so a merge request creates no pipeline: run and show take the
    // branch pipeline GitLab runs for the push.
    const byDefault = JSON.parse((await machine.glci(['show', '--json'], webapp)).stdout) as {
      context: { source: string };
    };
    expect(byDefault.context.source).toBe('push');
  });

  it('runs child pipelines and a parallel matrix (the monorepo example)', async () => {
    const monorepo = await machine.project('monorepo');
    const result = await machine.glci(['run', '--json'], monorepo);
    expect(result.code, result.stderr).toBe(0);
    const started = events(result.stdout).filter((event) => event.type === 'pipeline-started');
    const root = Number(events(result.stdout).find((event) => event.type === 'pipeline')!.pipelineId);
    expect(finalStates(result.stdout, root)).toEqual({
      prepare: 'success',
      frontend: 'success',
      backend: 'success',
      release: 'success',
    });
    const children = started.filter((event) => event.parentPipelineId === root);
    expect(children).toHaveLength(2);
    const text = result.stdout;
    expect(jobLog(text, 'backend-test: [postgres]')).toContain('testing the backend against postgres (fast)');
    expect(jobLog(text, 'backend-test: [sqlite]')).toContain('testing the backend against sqlite (fast)');
    expect(jobLog(text, 'frontend-build')).toContain(`built in a parent_pipeline pipeline, parent ${root}`);
  });

  it('fails with exit code 1 when a job fails, and shows a summary', async () => {
    const project = await machine.projectFrom('failing', {
      '.gitlab-ci.yml': [
        'stages: [check, after]',
        'check:',
        '  stage: check',
        '  script: ["echo checking", "exit 3"]',
        'after:',
        '  stage: after',
        '  script: ["echo never"]',
        '',
      ].join('\n'),
    });
    const result = await machine.glci(['run'], project);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/check +\| checking/);
    expect(result.stdout).toMatch(/check +✖ failed in \d+s with exit code 3/);
    expect(result.stdout).toMatch(/after +○ skipped/);
    expect(result.stdout).toMatch(/JOB +STAGE +STATUS/);
    expect(result.stdout).toMatch(/pipeline #\d+ failed/);
  });
});
