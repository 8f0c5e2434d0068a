import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';

/** The socket path cannot be used safely, or is held by something else. */
export class DaemonSocketError extends Error {
  override name = 'DaemonSocketError';
  constructor(
    readonly socketPath: string,
    message: string,
  ) {
    super(message);
  }
}

/** Another daemon already serves this socket. */
export class DaemonAlreadyRunningError extends Error {
  override name = 'DaemonAlreadyRunningError';
  constructor(readonly socketPath: string) {
    super(`another glci daemon is already running on ${socketPath}`);
  }
}

const currentUid = (): number | undefined =>
  typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * Makes the socket's directory private. Missing: created with mode 0700. `GLCI_HOME` (glci's own):
 * set to 0700. Another existing directory (the user chose it) must be the user's and not writable
 * by others unless sticky (like `/tmp`), since whoever can write there can replace the socket.
 */
export async function prepareSocketDirectory(socketPath: string, glciHome: string): Promise<void> {
  const directory = path.dirname(socketPath);
  const existing = await stat(directory).catch(() => undefined);
  if (!existing) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await chmod(directory, 0o700);
    return;
  }
  if (!existing.isDirectory()) {
    throw new DaemonSocketError(socketPath, `cannot put the daemon socket in ${directory}: not a directory`);
  }
  const uid = currentUid();
  if (uid !== undefined && existing.uid !== uid) {
    throw new DaemonSocketError(
      socketPath,
      `the daemon socket's directory ${directory} belongs to uid ${existing.uid}, not to you (uid ${uid}): set [daemon] socket or GLCI_DAEMON_SOCK to a path in a directory of your own`,
    );
  }
  if (path.resolve(directory) === path.resolve(glciHome)) {
    if ((existing.mode & 0o777) !== 0o700) await chmod(directory, 0o700);
    return;
  }
  const sticky = (existing.mode & 0o1000) !== 0;
  if ((existing.mode & 0o022) !== 0 && !sticky) {
    throw new DaemonSocketError(
      socketPath,
      `the daemon socket's directory ${directory} is writable by other users (mode ${(existing.mode & 0o777).toString(8)}): use a private directory (mode 0700)`,
    );
  }
}

/**
 * Clears the way to listen: nothing there is fine; a socket nobody answers on is a stale one left
 * by a daemon that died, and is removed; a socket that answers means another daemon; anything
 * else at that path is not ours to remove. Call it holding the daemon lock, so that no other
 * starting daemon is between its own check and its listen.
 */
export async function clearStaleSocket(socketPath: string): Promise<'none' | 'removed-stale'> {
  const existing = await lstat(socketPath).catch(() => undefined);
  if (!existing) return 'none';
  if (!existing.isSocket()) {
    throw new DaemonSocketError(
      socketPath,
      `${socketPath} exists and is not a socket; remove it, or choose another [daemon] socket`,
    );
  }
  if (await answers(socketPath)) throw new DaemonAlreadyRunningError(socketPath);
  await unlink(socketPath);
  return 'removed-stale';
}

/**
 * Before a client talks to a socket: it must be a socket owned by the user, so that nobody else's
 * process can pose as the daemon (and receive what the CLI sends it).
 */
export async function checkSocketOwner(socketPath: string): Promise<'missing' | 'ok'> {
  const existing = await lstat(socketPath).catch(() => undefined);
  if (!existing) return 'missing';
  if (!existing.isSocket()) {
    throw new DaemonSocketError(socketPath, `${socketPath} is not a socket, so it is not a glci daemon`);
  }
  const uid = currentUid();
  if (uid !== undefined && existing.uid !== uid) {
    throw new DaemonSocketError(
      socketPath,
      `${socketPath} belongs to uid ${existing.uid}, not to you (uid ${uid}); refusing to talk to it`,
    );
  }
  return 'ok';
}

/** Whether something accepts connections on the socket (within `timeoutMs`). */
export function answers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
