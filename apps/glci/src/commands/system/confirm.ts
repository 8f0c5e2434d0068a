import { createInterface } from 'node:readline/promises';

/**
 * Asks a yes/no question on the terminal; refuses (throws) when stdin is not a terminal, naming the
 * `action` (e.g. "prune") so a script's log says what was not done.
 */
export type Confirm = (question: string, action: string) => Promise<boolean>;

export const confirmOnTerminal: Confirm = async (question, action) => {
  if (!process.stdin.isTTY) {
    throw new Error(`refusing to ${action} without confirmation: stdin is not a terminal (pass --force)`);
  }
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await readline.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    readline.close();
  }
};
