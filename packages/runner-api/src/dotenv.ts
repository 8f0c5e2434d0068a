import { BadRequestError } from './errors.js';

/** GitLab's default limits for a dotenv report (`ci_dotenv_size`, `ci_dotenv_variables`). */
export const DOTENV_MAX_BYTES = 5 * 1024;
export const DOTENV_MAX_VARIABLES = 20;

export interface DotenvLimits {
  readonly maxBytes?: number;
  readonly maxVariables?: number;
}

/**
 * Parses an `artifacts:reports:dotenv` file as GitLab does: one `KEY=value` per line, keys of
 * ASCII letters, digits and `_` (not starting with a digit), the value taken as written (quotes
 * are kept, nothing is expanded), the last of repeated keys wins; blank lines and `#` comments
 * are skipped. GitLab refuses the whole upload (400) when the file is too large, has too many
 * variables or a line it cannot read, and so does this: the job's artifact upload then fails
 * with the message, instead of later jobs silently missing a variable.
 */
export function parseDotenv(content: Buffer | string, limits: DotenvLimits = {}): [string, string][] {
  const maxBytes = limits.maxBytes ?? DOTENV_MAX_BYTES;
  const maxVariables = limits.maxVariables ?? DOTENV_MAX_VARIABLES;
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (bytes > maxBytes) {
    throw new BadRequestError(`Dotenv files cannot be larger than ${maxBytes} bytes (this one has ${bytes})`);
  }
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const variables = new Map<string, string>();
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) {
      throw new BadRequestError(`Invalid Format: dotenv line ${index + 1} is not KEY=value`);
    }
    const [, key, value] = match;
    variables.delete(key!);
    variables.set(key!, value!.trimStart());
  }
  if (variables.size > maxVariables) {
    throw new BadRequestError(`Dotenv files cannot have more than ${maxVariables} variables`);
  }
  return [...variables];
}
