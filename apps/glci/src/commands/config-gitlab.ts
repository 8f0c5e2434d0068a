import { displayPath } from '@glci/config';
import {
  type AccessReport,
  checkGitlabAccess,
  checkPassed,
  describeGitlab,
  formatGitlabText,
  GitlabApiClient,
  GitlabSetupError,
  readOriginUrl,
  resolveGitlabInstance,
} from '@glci/gitlab';
import type { CliContext } from '../cli-context.js';
import { CommandExit } from '../command-exit.js';

export interface GitlabOptions {
  readonly json?: boolean;
  readonly check?: boolean;
  readonly project?: string;
}

/**
 * `glci config --gitlab [--check]`: the resolved GitLab instance, where the token came from (never
 * its value), and with `--check` whether the token works and what it may read. A failed check
 * exits 1; a GITLAB_URL or [gitlab] setting glci cannot use exits 2.
 */
export async function printGitlabConfig(ctx: CliContext, options: GitlabOptions): Promise<void> {
  const loaded = ctx.config();
  try {
    const instance = resolveGitlabInstance({
      config: loaded.config.gitlab,
      env: ctx.env,
      originUrl: await readOriginUrl(ctx.cwd),
      userConfigFile: loaded.sources.global ? displayPath(loaded.sources.global) : undefined,
    });
    let check: AccessReport | undefined;
    if (options.check) {
      const client = new GitlabApiClient({
        url: instance.url,
        token: instance.token,
        caFile: instance.caFile,
        timeoutMs: instance.timeoutMs,
        logger: ctx.logger(),
      });
      check = await checkGitlabAccess(client, { project: options.project ?? instance.origin?.projectPath });
    }
    const description = describeGitlab(instance, loaded.glciHome, check);
    ctx.out.write(options.json ? `${JSON.stringify(description, null, 2)}\n` : formatGitlabText(description));
    if (options.check && !checkPassed(description)) throw new CommandExit(1);
  } catch (error) {
    if (!(error instanceof GitlabSetupError)) throw error;
    process.stderr.write(`glci: ${error.message}\n`);
    throw new CommandExit(2);
  }
}
