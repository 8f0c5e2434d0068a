import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { median, type RowResult } from '../harness.js';
import { GLCI_CLI } from '../registry-under-test.js';
import type { BenchContext } from '../scenario.js';

const execFileAsync = promisify(execFile);

export const GITLAB_INCLUDE_ROWS = [
  {
    id: 'planning-gitlab-cold',
    title:
      'planning project, component and remote includes, cold (every file from the GitLab stand-in, 30-60 ms a request)',
    target: 2,
  },
  {
    id: 'planning-gitlab-warm',
    title: "planning the same includes, warm (from each tool's cache)",
    target: 5,
  },
] as const;

/** The fixture's token with `api` (ada, Maintainer of acme). */
const TOKEN = 'glpat-ada-maintainer-0000001';

/**
 * The bench project: three files of Acme's shared templates at a tag, two catalog components
 * (`~latest`, a partial version) with inputs, and a remote file, with jobs of its own extending
 * them. No `include:template` (gitlab-ci-local fetches templates from gitlab.com, not reachable
 * here), and no project file with a wildcard `include:local` of its own (gitlab-ci-local 4.73
 * cannot copy what such a pattern matched).
 */
function pipelineText(standin: RunningStandin): string {
  const host = new URL(standin.url).host;
  return [
    'include:',
    '  - project: acme/platform/ci-templates',
    '    ref: v1.1.0',
    '    file:',
    '      - templates/rules/workflow.yml',
    '      - templates/jobs/test.yml',
    '      - templates/jobs/package.yml',
    `  - component: ${host}/acme/components/container/build@~latest`,
    '    inputs:',
    '      image: registry.acme.test/web',
    `  - component: ${host}/acme/components/quality/lint@1.0`,
    '    inputs:',
    '      linters: [ruff, mypy]',
    `  - remote: ${standin.remote.url}/ci/notify.yml`,
    'stages: [build, test, package, deploy, notify]',
    'variables:',
    '  PYTHON_VERSION: "3.12"',
    'unit-tests:',
    '  extends: .test:base',
    '  script: [pytest -q]',
    'package:',
    '  extends: .package:python',
    '  needs: [unit-tests]',
    '',
  ].join('\n');
}

/** The jobs both tools must find in the plan. */
const EXPECTED_JOBS = ['container-build', 'package', 'unit-tests'];

interface Side {
  /** One planning, timed: a fresh process, as a user types the command. */
  run(): Promise<number>;
  /** Empties the tool's include cache (before each cold run). */
  clearCache(): void;
}

/**
 * The GitLab include rows: `glci show --json` against `gitlab-ci-local --list-json` planning the
 * same project against the GitLab stand-in with 30–60 ms added to every request (API, git over
 * HTTP and the remote file alike). Cold: each tool's include cache emptied before every run, so
 * every file is fetched; warm: the cache of the previous run kept (each tool still asks whatever its
 * policy asks again: glci nothing, since `~latest`, a partial version and a remote file without
 * `integrity:` were resolved within `[gitlab] includes_ttl` (5 minutes); gitlab-ci-local lists the
 * component projects' tags and fetches the remote file). glci
 * fetches through the REST API with a token (`--secrets none`: the CI/CD variables are left out,
 * as gitlab-ci-local does not read them); gitlab-ci-local clones over git with the same token
 * through a credential helper. Runs alternate, one warm-up each.
 */
export async function runGitlabIncludeRows(
  context: BenchContext,
  only?: ReadonlySet<string>,
  gitlabCiLocal?: string,
): Promise<RowResult[]> {
  const wanted = GITLAB_INCLUDE_ROWS.filter((row) => !only || only.has(row.id));
  if (wanted.length === 0) return [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-gitlab-'));
  let standin: RunningStandin | undefined;
  try {
    standin = await startGitlabStandin({ latency: [30, 60] });
    const sides = await prepareSides(standin, work, gitlabCiLocal);
    const results: RowResult[] = [];
    for (const row of wanted) {
      const cold = row.id === 'planning-gitlab-cold';
      results.push(await measure(context, row, sides, cold));
    }
    return results;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.progress(`planning through GitLab failed: ${message}`);
    return wanted.map((row) => ({
      id: row.id,
      group: 'planning',
      title: row.title,
      unit: 's' as const,
      better: 'lower' as const,
      target: row.target,
      baseline: { name: 'gitlab-ci-local', samples: [] },
      candidate: { name: 'glci', samples: [] },
      error: message,
    }));
  } finally {
    await standin?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function measure(
  context: BenchContext,
  row: (typeof GITLAB_INCLUDE_ROWS)[number],
  sides: { glci: Side; peer: Side },
  cold: boolean,
): Promise<RowResult> {
  const baseline: number[] = [];
  const candidate: number[] = [];
  const timed = async (side: Side) => {
    if (cold) side.clearCache();
    return side.run();
  };
  // The warm-up fills both caches for the warm row.
  context.progress(
    `${row.id}: warm-up (gitlab-ci-local ${(await timed(sides.peer)).toFixed(2)} s, glci ${(await timed(sides.glci)).toFixed(2)} s)`,
  );
  for (let index = 0; index < context.sizes.repetitions; index++) {
    const order = index % 2 === 0 ? [sides.peer, sides.glci] : [sides.glci, sides.peer];
    for (const side of order) {
      const seconds = await timed(side);
      (side === sides.peer ? baseline : candidate).push(seconds);
      context.progress(
        `${row.id} ${side === sides.peer ? 'gitlab-ci-local' : 'glci'} run ${index + 1}/${context.sizes.repetitions}: ${seconds.toFixed(3)} s`,
      );
    }
  }
  const b = median(baseline);
  const c = median(candidate);
  return {
    id: row.id,
    group: 'planning',
    title: row.title,
    unit: 's',
    better: 'lower',
    target: row.target,
    baseline: { name: 'gitlab-ci-local', samples: baseline, median: b },
    candidate: { name: 'glci', samples: candidate, median: c },
    ratio: b / c,
    pass: b / c >= row.target,
  };
}

async function prepareSides(
  standin: RunningStandin,
  work: string,
  gitlabCiLocal: string | undefined,
): Promise<{ glci: Side; peer: Side }> {
  const home = path.join(work, 'home');
  const glciHome = path.join(home, '.glci');
  mkdirSync(glciHome, { recursive: true });
  writeFileSync(
    path.join(glciHome, 'config.toml'),
    `[gitlab]\nurl = "${standin.url}"\nca_file = "${standin.caFile}"\n`,
  );
  // The user's own git access for gitlab-ci-local: the token through a credential helper.
  const gitConfig = path.join(work, 'gitconfig');
  writeFileSync(
    gitConfig,
    `[credential]\n\thelper = "!f() { echo username=ada; echo password=${TOKEN}; }; f"\n[user]\n\tname = Ada\n\temail = ada@acme.test\n[init]\n\tdefaultBranch = main\n`,
  );
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    GIT_CONFIG_GLOBAL: gitConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_SSL_CAINFO: standin.caFile,
    NODE_EXTRA_CA_CERTS: standin.caFile,
  };
  const project = path.join(work, 'web-app');
  mkdirSync(project);
  writeFileSync(path.join(project, '.gitlab-ci.yml'), pipelineText(standin));
  writeFileSync(path.join(project, 'requirements.txt'), 'flask\n');
  const git = (...args: string[]) => execFileAsync('git', ['-C', project, ...args], { env });
  await git('init', '--quiet', '-b', 'main');
  await git('remote', 'add', 'origin', `${standin.url}/acme/platform/web-app.git`);
  await git('add', '-A');
  await git('commit', '--quiet', '-m', 'pipeline');
  const check = (names: readonly string[], tool: string) => {
    const missing = EXPECTED_JOBS.filter((name) => !names.includes(name));
    if (missing.length > 0) throw new Error(`${tool} did not plan ${missing.join(', ')}`);
  };
  const glci: Side = {
    async run() {
      const started = performance.now();
      const { stdout } = await execFileAsync(
        process.execPath,
        [GLCI_CLI, 'show', '--json', '--context', 'branch=main', '--secrets', 'none'],
        {
          cwd: project,
          maxBuffer: 64 * 1024 * 1024,
          env: { ...env, GITLAB_TOKEN: TOKEN, GLCI_LOG_LEVEL: 'error', GLCI_NO_DEFAULT_CONFIG: '1' },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      check(
        (JSON.parse(stdout) as { jobs: { name: string }[] }).jobs.map((job) => job.name),
        'glci',
      );
      return seconds;
    },
    clearCache: () => rmSync(path.join(glciHome, 'includes'), { recursive: true, force: true }),
  };
  const peer: Side = {
    async run() {
      if (!gitlabCiLocal) throw new Error('gitlab-ci-local is not installed (tools/bench devDependency)');
      const started = performance.now();
      const { stdout } = await execFileAsync(gitlabCiLocal, ['--list-json'], {
        cwd: project,
        maxBuffer: 64 * 1024 * 1024,
        env,
      });
      const seconds = (performance.now() - started) / 1000;
      check(
        (JSON.parse(stdout) as { name: string }[]).map((job) => job.name),
        'gitlab-ci-local',
      );
      return seconds;
    },
    clearCache: () => rmSync(path.join(project, '.gitlab-ci-local'), { recursive: true, force: true }),
  };
  return { glci, peer };
}
