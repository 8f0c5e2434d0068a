import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PipelinePlan } from './plan/plan-types.js';
import { planProject } from './plan-project.js';
import { createTempRepo, type TempRepo } from './test-support/git-repo.js';

const execFileAsync = promisify(execFile);
const CORPUS = path.resolve(import.meta.dirname, '../test/corpus');
const GITLAB_CI_LOCAL = path.resolve(import.meta.dirname, '../node_modules/.bin/gitlab-ci-local');

interface Row {
  readonly name: string;
  readonly stage: string;
  readonly when: string;
  readonly needs: readonly string[];
}

/** A corpus project committed and "pushed" in a real repository, on `branch`. */
function checkout(project: string, branch = 'main'): TempRepo {
  const repo = createTempRepo({ from: path.join(CORPUS, project) });
  repo.commit(`${project}: initial commit`);
  repo.pushed();
  if (branch !== 'main') {
    repo.git('checkout', '-q', '-b', branch);
    repo.write('CHANGELOG.md', `work on ${branch}\n`);
    repo.commit(`work on ${branch}`);
  }
  return repo;
}

/**
 * gitlab-ci-local's `--list-json`, normalized where it only spells things differently from GitLab:
 * - it names `parallel: N` jobs `job: [1/3]`; GitLab names them `job 1/3`;
 * - it lists jobs whose rules resolve to `when: never`; GitLab does not create them;
 * - it names a need of a `parallel` job by the job's name; GitLab needs the instances, so the
 *   comparison maps glci's instance names back to job names (`build: [web]` → `build`).
 */
async function gitlabCiLocal(repo: TempRepo): Promise<Row[]> {
  const { stdout } = await execFileAsync(GITLAB_CI_LOCAL, ['--list-json'], {
    cwd: repo.dir,
    encoding: 'utf8',
  });
  const jobs = JSON.parse(stdout) as {
    name: string;
    stage: string;
    when: string;
    needs?: { job: string }[];
  }[];
  return jobs
    .filter((job) => job.when !== 'never')
    .map((job) => ({
      name: job.name.replace(/: \[(\d+\/\d+)\]$/, ' $1'),
      stage: job.stage,
      when: job.when,
      needs: [...new Set((job.needs ?? []).map((need) => need.job))].sort(),
    }))
    .sort(byName);
}

const byName = (a: Row, b: Row) => a.name.localeCompare(b.name);

function glciRows(plan: PipelinePlan): Row[] {
  const definitionOf = new Map(plan.jobs.map((job) => [job.name, job.definitionName]));
  return plan.jobs
    .map((job) => ({
      name: job.name,
      stage: job.stage,
      when: job.when,
      needs: [...new Set((job.needs ?? []).map((need) => definitionOf.get(need.job) ?? need.job))].sort(),
    }))
    .sort(byName);
}

/**
 * Where gitlab-ci-local 4.73.0's listing differs from GitLab's documented behaviour; glci follows
 * GitLab, and each case is asserted on glci's side:
 * - `only:`/`except:` refs: gitlab-ci-local lists jobs whose `only` names other refs (`only: [tags]`,
 *   `only: [main, tags]`, `only: refs: [main, /^release\/.*$/]`) in any branch pipeline; GitLab
 *   creates them only for matching refs.
 * - `rules:changes` on a new branch: GitLab evaluates `changes` to true when the branch has no
 *   previous push to compare with; gitlab-ci-local compares with `origin/<default branch>`.
 * - `workflow:rules`: `--list-json` lists the jobs even when no workflow rule matches; GitLab
 *   creates no pipeline at all.
 */
interface KnownDifference {
  readonly onlyInPeer?: readonly string[];
  readonly onlyInGlci?: readonly string[];
  readonly workflowFiltersPipeline?: boolean;
}
const KNOWN_DIFFERENCES: Readonly<Record<string, KnownDifference>> = {
  'web-monorepo feature/login': { workflowFiltersPipeline: true },
  'go-service main': { onlyInPeer: ['release'] },
  'go-service feature/cache': { onlyInPeer: ['chart', 'integration', 'release'] },
  'python-lib fix/typing': { onlyInGlci: ['mypy'] },
};

describe('the corpus side by side with gitlab-ci-local 4.73.0 (--list-json)', () => {
  it.for([
    ['web-monorepo', 'main'],
    ['web-monorepo', 'feature/login'],
    ['go-service', 'main'],
    ['go-service', 'feature/cache'],
    ['python-lib', 'main'],
    ['python-lib', 'fix/typing'],
  ] as const)(
    '%s on branch %s: the same jobs, stages, when and needs',
    { timeout: 60_000 },
    async ([project, branch], { onTestFinished }) => {
      const repo = checkout(project, branch);
      onTestFinished(() => repo.remove());
      const [peer, plan] = await Promise.all([
        gitlabCiLocal(repo),
        planProject({ dir: repo.dir, context: { kind: 'branch' } }),
      ]);
      expect(peer.length).toBeGreaterThan(3);
      const known = KNOWN_DIFFERENCES[`${project} ${branch}`] ?? {};
      if (known.workflowFiltersPipeline) {
        expect(plan).toMatchObject({
          created: false,
          notCreatedReason: 'Pipeline filtered out by workflow rules.',
          jobs: [],
        });
        return;
      }
      const ours = glciRows(plan);
      expect(ours.filter((row) => !known.onlyInGlci?.includes(row.name))).toEqual(
        peer.filter((row) => !known.onlyInPeer?.includes(row.name)),
      );
      for (const name of known.onlyInPeer ?? []) {
        expect(peer.some((row) => row.name === name)).toBe(true);
        expect(plan.excluded.find((job) => job.name === name)?.by).toBe('only-except');
      }
      for (const name of known.onlyInGlci ?? []) {
        expect(plan.jobs.find((job) => job.name === name)?.ruleTrace.at(-1)?.changes?.matched).toBe('all');
      }
    },
  );
});

describe('the corpus as GitLab plans it', () => {
  it(
    'web-monorepo in a merge request: review apps, e2e on changed packages, no production',
    { timeout: 30_000 },
    async ({ onTestFinished }) => {
      const repo = checkout('web-monorepo', 'feature/login');
      onTestFinished(() => repo.remove());
      repo.git('checkout', '-q', '-b', 'feature/ui');
      repo.write('packages-ui-button.txt', 'x');
      const plan = await planProject({ dir: repo.dir, context: { kind: 'merge_request' } });
      expect(plan.name).toBe('feature/ui: review');
      expect(plan.jobs.map((job) => [job.name, job.when])).toEqual([
        ['install', 'on_success'],
        ['build: [web]', 'on_success'],
        ['build: [api]', 'on_success'],
        ['build: [ui]', 'on_success'],
        ['lint', 'on_success'],
        ['unit 1/2', 'on_success'],
        ['unit 2/2', 'on_success'],
        ['e2e', 'manual'],
        ['review-web', 'on_success'],
        ['stop-review-web', 'manual'],
      ]);
      expect(plan.excluded.map((job) => [job.name, job.reason])).toEqual([
        ['audit', 'no rule matched'],
        ['production', 'no rule matched'],
      ]);
      const review = plan.jobs.find((job) => job.name === 'review-web')!;
      expect(review.environment).toMatchObject({
        name: 'review/feature-ui',
        url: 'https://feature-ui.review.example.com',
        onStop: 'stop-review-web',
      });
      expect(review.resourceGroup).toBe('review-feature-ui');
      expect(review.needs).toEqual([{ job: 'build: [web]', artifacts: true, optional: false }]);
      const build = plan.jobs.find((job) => job.name === 'build: [web]')!;
      expect(build.script).toEqual([
        'node --version',
        'npm --version',
        'npm run build --workspace packages/$PACKAGE',
      ]);
      expect(build.caches[0]).toMatchObject({
        key: expect.stringMatching(/^npm-22-[0-9a-f]{40}$/),
        policy: 'pull',
      });
    },
  );

  it(
    'go-service on a tag: release is manual, the chart child pipeline is planned with its own rules',
    { timeout: 30_000 },
    async ({ onTestFinished }) => {
      const repo = checkout('go-service');
      onTestFinished(() => repo.remove());
      repo.git('tag', 'v1.4.0');
      const plan = await planProject({ dir: repo.dir, context: { kind: 'tag' } });
      expect(plan.jobs.map((job) => job.name)).toEqual([
        'test 1/3',
        'test 2/3',
        'test 3/3',
        'binary',
        'docker',
        'chart',
        'release',
      ]);
      expect(plan.excluded.map((job) => job.name)).toEqual(['golangci', 'vet', 'integration']);
      const chart = plan.jobs.find((job) => job.name === 'chart')!;
      expect(chart.trigger).toMatchObject({ kind: 'child', strategy: 'depend' });
      const child = chart.trigger!.pipeline!;
      expect(child.context.source).toBe('parent_pipeline');
      expect(child.jobs.map((job) => job.name)).toEqual(['helm-lint', 'helm-publish']);
      const docker = plan.jobs.find((job) => job.name === 'docker')!;
      expect(docker).toMatchObject({
        beforeScript: [],
        caches: [],
        dependencies: ['binary'],
        services: [{ name: 'docker:27-dind' }],
      });
    },
  );

  it(
    'python-lib: .pre/.post, inherit, exists, delayed-free manual publish on main',
    { timeout: 30_000 },
    async ({ onTestFinished }) => {
      const repo = checkout('python-lib');
      onTestFinished(() => repo.remove());
      const plan = await planProject({ dir: repo.dir, context: { kind: 'branch' } });
      expect(plan.stages).toEqual(['.pre', 'check', 'test', 'build', 'publish', '.post']);
      const publish = plan.jobs.find((job) => job.name === 'publish')!;
      expect(publish).toMatchObject({
        when: 'manual',
        allowFailure: true,
        resourceGroup: 'pypi',
        environment: { name: 'pypi', deploymentTier: 'production' },
      });
      const preflight = plan.jobs.find((job) => job.name === 'preflight')!;
      expect(preflight.caches).toEqual([]);
      expect(
        preflight.variables
          .find((layer) => layer.source === 'yaml-global')!
          .entries.map((entry) => entry.name),
      ).toEqual(['PIP_CACHE_DIR']);
      expect(plan.excluded.map((job) => [job.name, job.reason])).toEqual([['mypy', 'no rule matched']]);
    },
  );
});
