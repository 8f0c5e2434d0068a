import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RssProbe, readMemory } from './rss.js';

describe('RSS sampling', () => {
  it('reads VmRSS and VmHWM of a process, and nothing for a missing one', () => {
    const memory = readMemory(process.pid);
    expect(memory?.rss).toBeGreaterThan(1024 * 1024);
    expect(memory!.hwm).toBeGreaterThanOrEqual(memory!.rss);
    expect(readMemory(2 ** 30)).toBeUndefined();
  });

  it('reports the peak of a child that grows and shrinks within the window', async () => {
    // The child holds 96 MiB for a moment, then drops it: the probe must still see the peak.
    const script =
      'let b = Buffer.alloc(96 * 1024 * 1024, 1); setTimeout(() => { b = undefined; globalThis.gc?.(); }, 150); setTimeout(() => {}, 400);';
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const probe = new RssProbe(child.pid!, 10);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(probe.stop()).toBeGreaterThan(90 * 1024 * 1024);
  });
});
