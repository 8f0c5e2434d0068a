import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { acquireLock, LockHeldError, type LockStrategy, withLock } from './process-lock.js';
import { spawnTs, writeScript } from './test-support/spawn-ts.js';

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-lock-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A child process that takes the lock, prints "locked", and then waits to be killed. */
function lockInChild(dir: string, lockPath: string, strategy: LockStrategy) {
  const module = new URL('./process-lock.ts', import.meta.url).pathname;
  const script = writeScript(
    dir,
    'hold-lock.mts',
    `import { acquireLock } from ${JSON.stringify(module)};
await acquireLock(${JSON.stringify(lockPath)}, { strategy: ${JSON.stringify(strategy)} });
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);
`,
  );
  const child = spawnTs(script);
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited early (${code}): ${stderr}`)));
  });
  return { child, locked };
}

describe.each(['abstract-socket', 'lock-file'] as const)('acquireLock (%s)', (strategy) => {
  it('lets one holder in at a time and hands over on release', async () => {
    const lockPath = path.join(tempDir(), 'thing');
    const first = await acquireLock(lockPath, { strategy });
    await expect(acquireLock(lockPath, { strategy })).rejects.toBeInstanceOf(LockHeldError);
    const waiting = acquireLock(lockPath, { strategy, waitMs: 10_000 });
    await first.release();
    const second = await waiting;
    await second.release();
  });

  it('is released by the kernel or taken over when its holder is killed', async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'daemon.sock');
    const holder = lockInChild(dir, lockPath, strategy);
    await holder.locked;
    await expect(acquireLock(lockPath, { strategy })).rejects.toThrow(/another process holds the lock/);
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.once('exit', resolve));
    const lock = await acquireLock(lockPath, { strategy, waitMs: 5000 });
    await lock.release();
  });

  it('serializes work with withLock', async () => {
    const lockPath = path.join(tempDir(), 'counter');
    const order: string[] = [];
    const task = (name: string) =>
      withLock(lockPath, { strategy, waitMs: 10_000 }, async () => {
        order.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`${name}-`);
      });
    await Promise.all([task('a'), task('b'), task('c')]);
    for (let index = 0; index < order.length; index += 2) {
      expect(order[index]!.slice(0, -1)).toBe(order[index + 1]!.slice(0, -1));
    }
  });
});

describe('the lock-file fallback', () => {
  it('takes over a lock file whose owner is gone', async () => {
    const lockPath = path.join(tempDir(), 'stale');
    writeFileSync(`${lockPath}.lock`, '999999999');
    const lock = await acquireLock(lockPath, { strategy: 'lock-file' });
    await lock.release();
  });
});
