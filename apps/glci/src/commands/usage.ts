import type { Command } from 'commander';
import { UsageError } from './registry/usage-error.js';

/** Runs a command's action; a UsageError becomes commander's usage error: exit 2, one line. */
export async function withUsageErrors(command: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError)
      command.error(`error: ${error.message}`, { exitCode: 2, code: 'glci.usage' });
    throw error;
  }
}
