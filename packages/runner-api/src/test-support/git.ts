import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...process.env, ...IDENTITY, ...env } });
  return stdout.trim();
}

/** A repository with three commits on `main` and a `.gitignore`. */
export async function makeRepository(): Promise<{ dir: string; head: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-repo-'));
  await git(dir, ['init', '-q', '-b', 'main']);
  await writeFile(path.join(dir, '.gitignore'), 'ignored.txt\nnode_modules/\n');
  for (let i = 1; i <= 3; i++) {
    await writeFile(path.join(dir, 'file.txt'), `version ${i}\n`);
    await git(dir, ['add', '.']);
    await git(dir, ['commit', '-q', '-m', `commit ${i}`]);
  }
  return { dir, head: await git(dir, ['rev-parse', 'HEAD']) };
}
