import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/**
 * `glci version`: this CLI's version and commit, and the daemon's commit, pid and uptime when one
 * runs. It never starts a daemon, and a broken configuration only hides the daemon line's details.
 */
export function registerVersionCommand(program: Command, context: () => CliContext): void {
  program
    .command('version')
    .description('print the glci version, its commit, and the running daemon’s commit, pid and uptime')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const { versionReport, formatVersionReport } = await import('./version-report.js');
      const report = await versionReport(context());
      context().out.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : formatVersionReport(report),
      );
    });
}
