import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../registry-under-test.js';
import type { JobStates } from './run-output.js';

const execFileAsync = promisify(execFile);

/** The example both tools run: its jobs name no image, so each tool's default image is used. */
export const QUICKSTART_DIR = path.join(REPO_ROOT, 'examples/quickstart');

/** The service the added job reaches (busybox httpd on :80, built by scripts/build-runner-images.sh). */
export const SERVICE_IMAGE = 'glci-test/http-service:1';

/**
 * What the bench adds to the quickstart, which most real pipelines have and the example lacks: a CI
 * cache (`install` fills it in the build stage, `service-check` reads it in the test stage, and a
 * warm run finds it from the run before) and a job with a service container.
 */
export const BENCH_JOBS = [
  '',
  '# Added by the bench (tools/bench/src/pipeline-run): a cache and a service container.',
  'install:',
  '  stage: build',
  '  cache:',
  '    key: bench-deps',
  '    paths: [.deps/]',
  '  script:',
  '    - if [ -f .deps/toolchain.txt ]; then echo "toolchain from the cache"; else mkdir -p .deps && echo "toolchain 1.0" > .deps/toolchain.txt; fi',
  '',
  'service-check:',
  '  stage: test',
  '  needs: [install]',
  '  cache:',
  '    key: bench-deps',
  '    paths: [.deps/]',
  '    policy: pull',
  '  services:',
  `    - name: ${SERVICE_IMAGE}`,
  '      alias: web',
  '  script:',
  '    - grep "toolchain 1.0" .deps/toolchain.txt',
  '    - wget -qO- http://web/ | grep "hello from the glci http service"',
  '',
].join('\n');

/** How every run of the bench project must end, in both tools (spellcheck fails by design). */
export const EXPECTED_STATES: JobStates = {
  build: 'success',
  install: 'success',
  spellcheck: 'failed (allowed)',
  'service-check': 'success',
  test: 'success',
  report: 'success',
};

/** The quickstart's pipeline with the bench's jobs appended. */
export function benchPipelineYaml(quickstartYaml: string): string {
  return `${quickstartYaml.trimEnd()}\n${BENCH_JOBS}`;
}

/**
 * A fresh checkout of the bench project at `dir`: examples/quickstart with the bench's jobs, one
 * commit on `main`, origin `gitlab.example.com/examples/quickstart` (both tools take the project
 * path from it). Nothing of either tool's state is in it.
 */
export async function createBenchProject(dir: string): Promise<string> {
  cpSync(QUICKSTART_DIR, dir, { recursive: true });
  const file = path.join(dir, '.gitlab-ci.yml');
  writeFileSync(file, benchPipelineYaml(readFileSync(file, 'utf8')));
  const git = (...args: string[]) =>
    execFileAsync('git', ['-C', dir, '-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args]);
  await git('init', '-q', '-b', 'main');
  await git('remote', 'add', 'origin', 'https://gitlab.example.com/examples/quickstart.git');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'The quickstart, with a cache and a service');
  return dir;
}
