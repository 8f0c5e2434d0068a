import { createHash } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './process-alive.js';

/**
 * A lock between processes of one user, named by a path, that the kernel releases when the holder
 * dies (even by SIGKILL), so there is never a stale lock to guess about.
 *
 * On Linux it is a listening unix socket in the abstract namespace (`\0glci-lock:<uid>:<hash>`):
 * binding it is atomic, only one process can hold it, it has no file, and it disappears with its
 * process. Elsewhere (no abstract namespace) it falls back to a lock file created with O_EXCL
 * holding the owner's pid; a lock whose pid is gone is taken over.
 */
export interface ProcessLock {
  readonly name: string;
  release(): Promise<void>;
}

export type LockStrategy = 'abstract-socket' | 'lock-file';

export interface AcquireLockOptions {
  /** How long to wait for a held lock (default: do not wait). */
  readonly waitMs?: number;
  /** Defaults to `abstract-socket` on Linux, `lock-file` elsewhere. */
  readonly strategy?: LockStrategy;
}

export class LockHeldError extends Error {
  constructor(readonly lockPath: string) {
    super(`another process holds the lock for ${lockPath}`);
    this.name = 'LockHeldError';
  }
}

/** Takes the lock named by `lockPath`, or throws `LockHeldError` once `waitMs` has passed. */
export async function acquireLock(lockPath: string, options: AcquireLockOptions = {}): Promise<ProcessLock> {
  const strategy = options.strategy ?? (process.platform === 'linux' ? 'abstract-socket' : 'lock-file');
  const deadline = Date.now() + (options.waitMs ?? 0);
  let delay = 5;
  for (;;) {
    const lock =
      strategy === 'abstract-socket' ? await tryAbstractLock(lockPath) : await tryFileLock(lockPath);
    if (lock) return lock;
    if (Date.now() >= deadline) throw new LockHeldError(lockPath);
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Runs `work` holding the lock. */
export async function withLock<T>(
  lockPath: string,
  options: AcquireLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(lockPath, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

function abstractName(lockPath: string): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().uid;
  return `\0glci-lock:${uid}:${createHash('sha256').update(lockPath).digest('hex').slice(0, 32)}`;
}

async function tryAbstractLock(lockPath: string): Promise<ProcessLock | undefined> {
  const name = abstractName(lockPath);
  const server: Server = createServer((socket) => socket.destroy());
  const bound = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    server.listen(name, () => resolve(true));
  });
  if (!bound) return undefined;
  // The lock must not keep a process alive on its own.
  server.unref();
  return {
    name: lockPath,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function tryFileLock(lockPath: string, tookOver = false): Promise<ProcessLock | undefined> {
  const file = `${lockPath}.lock`;
  try {
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(String(process.pid));
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return undefined;
    if (tookOver) return undefined;
    // The owner died without releasing: remove its file and try once more. (Two processes doing
    // this at once can both succeed; the abstract socket used on Linux has no such race.)
    await unlink(file).catch(() => undefined);
    return tryFileLock(lockPath, true);
  }
  return {
    name: lockPath,
    release: async () => {
      await unlink(file).catch(() => undefined);
    },
  };
}
