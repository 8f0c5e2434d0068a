import { formatConfigJson, formatConfigToml, formatNetworkText, resolveNetwork } from '@glci/config';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

// @glci/gitlab (and its HTTP client) loads only for `glci config --gitlab`, not for every command.
const loadGitlabConfig = () => import('./config-gitlab.js');

export function registerConfigCommand(program: Command, context: () => CliContext): void {
  program
    .command('config')
    .description('print the effective configuration (~/.glci/config.toml merged under .glciconfig.toml)')
    .option('--network', 'print the resolved network settings instead')
    .option('--gitlab', 'print the resolved GitLab instance and where the token came from (never its value)')
    .option('--check', 'with --gitlab: ask the instance whether the token works and what it may read')
    .option('--project <path>', "with --gitlab --check: the project to check (default: the origin remote's)")
    .option('--json', 'machine-readable output (sizes in bytes, durations in milliseconds)')
    .addHelpText(
      'after',
      '\nSecrets are always redacted. GLCI_HOME moves ~/.glci; the project file is found by walking up from the working directory.\n' +
        "The GitLab instance is GITLAB_URL, else [gitlab] url, else the origin remote's, else https://gitlab.com; the token is\n" +
        '[gitlab] token (user config only), else GITLAB_TOKEN. `glci config --gitlab --check` exits 1 when the check fails.',
    )
    .action(
      async (options: {
        network?: boolean;
        gitlab?: boolean;
        check?: boolean;
        project?: string;
        json?: boolean;
      }) => {
        const ctx = context();
        if (options.gitlab) {
          await (await loadGitlabConfig()).printGitlabConfig(ctx, {
            ...(options.json ? { json: true } : {}),
            ...(options.check ? { check: true } : {}),
            ...(options.project ? { project: options.project } : {}),
          });
          return;
        }
        const loaded = ctx.config();
        if (options.network) {
          const network = resolveNetwork(loaded.config, ctx.env);
          ctx.out.write(options.json ? `${JSON.stringify(network, null, 2)}\n` : formatNetworkText(network));
          return;
        }
        ctx.out.write(options.json ? formatConfigJson(loaded) : formatConfigToml(loaded));
      },
    );
}
