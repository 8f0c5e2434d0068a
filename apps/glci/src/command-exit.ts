/**
 * Ends a command with an exit code after it has already said why (on stderr): `main` returns the
 * code without printing anything more.
 */
export class CommandExit extends Error {
  override name = 'CommandExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
