import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RunningStandin } from './standin.js';

const exec = promisify(execFile);

export interface CloneOptions {
  /** A fixture token; git sends it as HTTP Basic credentials through a credential helper. */
  readonly token?: string;
  /** A branch or tag (default: the project's default branch). */
  readonly ref?: string;
}

/**
 * The environment under which git reaches the stand-in as a user with `token` would: the test CA
 * trusted, a credential helper answering with the token (from the environment, never argv), no
 * system or global git configuration, no prompts.
 */
export function gitEnvironmentFor(standin: RunningStandin, token?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSL_CAINFO: standin.caFile,
    GIT_AUTHOR_NAME: 'Ada',
    GIT_AUTHOR_EMAIL: 'ada@acme.test',
    GIT_COMMITTER_NAME: 'Ada',
    GIT_COMMITTER_EMAIL: 'ada@acme.test',
    ...(token
      ? {
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'credential.helper',
          GIT_CONFIG_VALUE_0: '!f() { echo username=token; echo "password=$STANDIN_TOKEN"; }; f',
          STANDIN_TOKEN: token,
        }
      : {}),
  };
}

/**
 * A user's checkout of a fixture project: `git clone` from the stand-in over HTTPS, `origin`
 * pointing at it (so glci finds the instance and the project path from the remote, as in a real
 * checkout), `origin/HEAD` set.
 */
export async function cloneProject(
  standin: RunningStandin,
  project: string,
  dir: string,
  options: CloneOptions = {},
): Promise<void> {
  await exec(
    'git',
    [
      'clone',
      '--quiet',
      ...(options.ref ? ['--branch', options.ref] : []),
      `${standin.url}/${project}.git`,
      dir,
    ],
    { env: gitEnvironmentFor(standin, options.token) },
  );
}
