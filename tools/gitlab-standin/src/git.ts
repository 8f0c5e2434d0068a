import { execFile } from 'node:child_process';

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** A deterministic identity and clock, so a fixture's commit SHAs are the same on every machine. */
export function fixedIdentity(date: string): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: 'Acme CI',
    GIT_AUTHOR_EMAIL: 'ci@acme.test',
    GIT_COMMITTER_NAME: 'Acme CI',
    GIT_COMMITTER_EMAIL: 'ci@acme.test',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}

/** Runs git without the user's own configuration (no signing, hooks or templates leak in). */
export function git(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Buffer } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args as string[],
      {
        cwd: options.cwd,
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          LC_ALL: 'C',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`git ${args.join(' ')}: ${error.message}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr: stderr.toString('utf8') });
      },
    );
    if (options.input) child.stdin?.end(options.input);
  });
}

/** Like `git`, but a non-zero exit throws with git's error output. */
export async function gitOk(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.toString('utf8');
}
