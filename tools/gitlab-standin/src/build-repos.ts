import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProjectFixture } from './fixture-types.js';
import { fixedIdentity, gitOk } from './git.js';

/** A project's bare repository, as the stand-in serves it over the API and over git HTTP. */
export interface BuiltRepo {
  /** `<repos root>/<project path>.git` */
  readonly gitDir: string;
  /** Each commit's SHA by its fixture `dir`. */
  readonly commits: ReadonlyMap<string, string>;
  /** Each tag's commit SHA. */
  readonly tags: ReadonlyMap<string, string>;
}

/** Commit N of every project is made at the same fixed time, so SHAs never change between runs. */
const BASE_TIME = Date.parse('2026-01-05T09:00:00Z');

/**
 * Builds a project's history from its fixture: commit N is commit N-1's tree with the files of
 * `fixtures/repos/<project>/<dir>` added or replaced and `delete` removed, with a fixed author and
 * date, so the SHAs a fixture pins (`ref: <sha>`) are stable. Served as a bare repository that
 * allows partial-clone filters, as GitLab's does.
 */
export async function buildRepo(
  project: ProjectFixture,
  fixturesDir: string,
  reposRoot: string,
): Promise<BuiltRepo> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'glci-standin-repo-'));
  try {
    await gitOk(['init', '--quiet', `--initial-branch=${project.defaultBranch}`, work]);
    const commits = new Map<string, string>();
    const tags = new Map<string, string>();
    for (const [index, commit] of project.commits.entries()) {
      const source = path.join(fixturesDir, 'repos', project.path, commit.dir);
      if (!existsSync(source)) throw new Error(`fixture ${project.path}: no directory ${commit.dir}`);
      cpSync(source, work, { recursive: true });
      for (const file of commit.delete ?? []) rmSync(path.join(work, file), { force: true });
      const env = fixedIdentity(new Date(BASE_TIME + index * 3_600_000).toISOString());
      await gitOk(['add', '--all'], { cwd: work });
      await gitOk(['commit', '--quiet', '--allow-empty', '--no-gpg-sign', '-m', commit.message], {
        cwd: work,
        env,
      });
      const sha = (await gitOk(['rev-parse', 'HEAD'], { cwd: work })).trim();
      commits.set(commit.dir, sha);
      for (const tag of commit.tags ?? []) {
        await gitOk(['tag', '--annotate', '--no-sign', '-m', `Release ${tag}`, tag], { cwd: work, env });
        tags.set(tag, sha);
      }
    }
    for (const [branch, dir] of Object.entries(project.branches ?? {})) {
      const sha = commits.get(dir);
      if (!sha) throw new Error(`fixture ${project.path}: branch ${branch} names unknown commit ${dir}`);
      await gitOk(['branch', branch, sha], { cwd: work });
    }
    const gitDir = path.join(reposRoot, `${project.path}.git`);
    mkdirSync(path.dirname(gitDir), { recursive: true });
    await gitOk(['clone', '--quiet', '--bare', '--no-local', work, gitDir]);
    for (const [key, value] of [
      ['uploadpack.allowFilter', 'true'],
      ['uploadpack.allowAnySHA1InWant', 'true'],
      ['http.receivepack', 'false'],
    ] as const) {
      await gitOk(['config', key, value], { cwd: gitDir });
    }
    return { gitDir, commits, tags };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
