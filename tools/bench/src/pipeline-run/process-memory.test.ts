import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cgroupPids, PeakMemorySampler, targetRss } from './process-memory.js';

describe('memory of processes and containers', () => {
  it("lists the processes of this process's cgroup, itself among them", () => {
    expect(cgroupPids(process.pid)).toContain(process.pid);
    // A cgroup that cannot be read: the process alone.
    expect(cgroupPids(process.pid, '/nonexistent')).toEqual([process.pid]);
  });

  it("sums a target's processes and keeps the peak of a child that grows and shrinks", async () => {
    expect(targetRss({ name: 'me', pid: process.pid, wholeCgroup: false })).toBeGreaterThan(1024 * 1024);
    expect(targetRss({ name: 'gone', pid: 2 ** 30, wholeCgroup: false })).toBeUndefined();
    const script =
      'let b = Buffer.alloc(96 * 1024 * 1024, 1); setTimeout(() => { b = undefined; }, 300); setTimeout(() => {}, 600);';
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const sampler = new PeakMemorySampler([{ name: 'child', pid: child.pid!, wholeCgroup: false }], 20);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(sampler.stop().get('child')).toBeGreaterThan(90 * 1024 * 1024);
  });
});
