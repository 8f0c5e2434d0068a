import { dindNetworkFlags } from '@glci/docker';
import { RUNNER_IMAGES } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerRunnerHarness, startDockerRunnerHarness } from '../test-support/docker-runner.js';
import { makeRepository, plain } from '../test-support/real-runner.js';

/**
 * The official runner (Docker executor) in a container on a glci pipeline network, with job,
 * service and helper containers from locally built images, against the mock.
 */
let harness: DockerRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;

beforeAll(async () => {
  repo = await makeRepository(3);
  harness = await startDockerRunnerHarness();
  await harness.publish(repo.dir);
}, 180_000);

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
}, 120_000);

/**
 * A Docker-in-Docker service that trusts the mock's plain-HTTP registry, with its bridge off the
 * host's range so that the host gateway stays reachable from it.
 */
function dindService(registryHost: string) {
  return {
    name: RUNNER_IMAGES.dind,
    alias: 'docker',
    command: [`--insecure-registry=${registryHost}`, ...dindNetworkFlags()],
  };
}

const dindVariables = {
  DOCKER_HOST: 'tcp://docker:2376',
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: '/certs/client',
  DOCKER_TLS_CERTDIR: '/certs',
};

/** Waits in the job until the DinD service answers (its certificates appear a moment after start). */
const waitForDocker = 'for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done';

describe('the official runner, Docker executor', { timeout: 240_000 }, () => {
  it('runs a job that reaches the mock through host.docker.internal on its own per-build network', async () => {
    const { record, trace } = await harness.run({
      name: 'reach-the-mock',
      script: [
        'cat README.md',
        'grep host.docker.internal /etc/hosts | cut -d" " -f2-',
        'curl -sS -o /dev/null -w "registry answers %{http_code}\\n" "http://$CI_REGISTRY/v2/"',
      ],
    });
    expect(record.state).toBe('success');
    const out = plain(trace);
    expect(out).toMatch(/Using Docker executor with image glci-test\/docker-cli/);
    expect(out).toContain('revision 3');
    expect(out).toMatch(/registry answers 401/);
  });

  it('reaches a service container by its alias', async () => {
    const { record, trace } = await harness.run({
      name: 'service',
      services: [{ name: RUNNER_IMAGES.httpService, alias: 'web' }],
      script: ['curl -sS --retry 10 --retry-connrefused --retry-delay 1 http://web/'],
    });
    expect(record.state).toBe('success');
    expect(plain(trace)).toContain('\nhello from the glci http service\n');
  });

  it('passes artifacts and a cache between two Docker jobs', async () => {
    const producer = await harness.run({
      name: 'produce',
      script: [
        'mkdir -p dist .cache',
        'echo "artifact $CI_JOB_ID" > dist/out.txt',
        'echo "cache $CI_JOB_ID" > .cache/c.txt',
      ],
      artifacts: { paths: ['dist/'] },
      cache: { key: 'docker-cache', paths: ['.cache/'] },
    });
    expect(producer.record.state).toBe('success');
    const consumer = await harness.run({
      name: 'consume',
      dependencies: [producer.record.id],
      variables: { GIT_STRATEGY: 'clone' },
      script: ['cat dist/out.txt', 'cat .cache/c.txt'],
      cache: { key: 'docker-cache', paths: ['.cache/'], policy: 'pull' },
    });
    expect(consumer.record.state).toBe('success');
    const out = plain(consumer.trace);
    expect(out).toContain(`\nartifact ${producer.record.id}\n`);
    expect(out).toContain(`\ncache ${producer.record.id}\n`);
  });

  it('pushes $CI_REGISTRY_IMAGE with the job token through a DinD service, only under the project, and a later job runs the image', async () => {
    const otherProject = `${harness.registryHost}/other/project/app:1`;
    const push = await harness.run({
      name: 'docker-push',
      services: [dindService(harness.registryHost)],
      variables: dindVariables,
      script: [
        waitForDocker,
        'mkdir ctx && cp /bin/busybox ctx/',
        'printf "FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY busybox /bin/sh\\nCOPY busybox /bin/cat\\nCOPY README.md /README.md\\nCMD [\\"/bin/sh\\"]\\n" > ctx/Dockerfile',
        'cp README.md ctx/',
        'docker build -q -t "$CI_REGISTRY_IMAGE/app:1" ctx',
        'echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
        'docker push "$CI_REGISTRY_IMAGE/app:1"',
        `docker tag "$CI_REGISTRY_IMAGE/app:1" ${otherProject}`,
        `if docker push ${otherProject} 2>push-error.txt; then echo "pushed outside the project"; exit 1; fi`,
        'grep -o "denied: job [0-9]* may push only to [^ ]*" push-error.txt || cat push-error.txt',
        // The token is masked in the log; its base64 form lets the test try it after the job.
        'printf "%s" "$CI_JOB_TOKEN" | base64 | tr -d "\\n" | sed "s/^/token-b64:/"; echo',
      ],
    });
    const out = plain(push.trace);
    expect(push.record.state, out).toBe('success');
    expect(out).toMatch(/Login Succeeded/);
    expect(out).toMatch(/1: digest: sha256:[0-9a-f]{64}/);
    expect(out).toMatch(/denied: job \d+ may push only to group\/demo/);

    // The image is in the embedded registry.
    const tags = await fetch(`http://${harness.hostRegistry}/v2/group/demo/app/tags/list`);
    expect(await tags.json()).toEqual({ name: 'group/demo/app', tags: ['1'] });

    // The job's token died with the job.
    const token = Buffer.from(out.match(/^token-b64:([A-Za-z0-9+/=]+)$/m)![1]!, 'base64').toString();
    expect(token).toMatch(/^glcbt-/);
    const afterJob = await fetch(`http://${harness.hostRegistry}/v2/group/demo/app/blobs/uploads/`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`gitlab-ci-token:${token}`).toString('base64')}` },
    });
    expect(afterJob.status).toBe(401);

    // A later job runs on the pushed image; its $CI_REGISTRY reference is pulled by the host's
    // dockerd under the loopback name, as glci rewrites job images.
    const later = await harness.run({
      name: 'run-pushed-image',
      image: `${harness.hostRegistry}/group/demo/app:1`,
      variables: { GIT_STRATEGY: 'none' },
      script: ['cat /README.md'],
    });
    expect(later.record.state, plain(later.trace)).toBe('success');
    expect(plain(later.trace)).toContain('revision 3');
  });
});
