import { formatConfigJson, formatConfigToml, formatNetworkText, resolveNetwork } from '@glci/config';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

export function registerConfigCommand(program: Command, context: () => CliContext): void {
  program
    .command('config')
    .description('print the effective configuration (~/.glci/config.toml merged under .glciconfig.toml)')
    .option('--network', 'print the resolved network settings instead')
    .option('--json', 'machine-readable output (sizes in bytes, durations in milliseconds)')
    .addHelpText(
      'after',
      '\nSecrets are always redacted. GLCI_HOME moves ~/.glci; the project file is found by walking up from the working directory.',
    )
    .action((options: { network?: boolean; json?: boolean }) => {
      const ctx = context();
      const loaded = ctx.config();
      if (options.network) {
        const network = resolveNetwork(loaded.config, ctx.env);
        ctx.out.write(options.json ? `${JSON.stringify(network, null, 2)}\n` : formatNetworkText(network));
        return;
      }
      ctx.out.write(options.json ? formatConfigJson(loaded) : formatConfigToml(loaded));
    });
}
