import { createInterface } from 'node:readline/promises';

/** Asks a yes/no question on the terminal; refuses (throws) when stdin is not a terminal. */
export type Confirm = (question: string) => Promise<boolean>;

export const confirmOnTerminal: Confirm = async (question) => {
  if (!process.stdin.isTTY) {
    throw new Error('refusing to go on without confirmation: stdin is not a terminal (pass --force)');
  }
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await readline.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    readline.close();
  }
};
