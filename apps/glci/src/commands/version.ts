import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function registerVersionCommand(program: Command, context: () => CliContext): void {
  program
    .command('version')
    .description('print the glci version')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => {
      const info = {
        glci: cliVersion(),
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      };
      const out = context().out;
      out.write(
        options.json
          ? `${JSON.stringify(info, null, 2)}\n`
          : `glci ${info.glci} (node ${info.node}, ${info.platform})\n`,
      );
    });
}
