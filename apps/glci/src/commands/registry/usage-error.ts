/** A mistake in the command line: exit code 2, no stack. Kept dependency-free so command definitions load fast. */
export class UsageError extends Error {
  override name = 'UsageError';
}
