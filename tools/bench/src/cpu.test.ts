import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CpuProbe, readCpuSeconds } from './cpu.js';

/** Burns `ms` of this process's own CPU time (not wall time, so a loaded machine cannot shorten it). */
const BURN =
  'const burn = (ms) => { const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) / 1000 < ms); };';

describe('CPU accounting', () => {
  it('reads the CPU time of a process, and nothing for a missing one', () => {
    const before = readCpuSeconds(process.pid);
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 150_000) {
      // Burn 150 ms of CPU: /proc must show at least about as much.
    }
    const after = readCpuSeconds(process.pid);
    expect(after! - before!).toBeGreaterThanOrEqual(0.13);
    expect(readCpuSeconds(2 ** 30)).toBeUndefined();
  });

  it('counts what a child burns within the window, not what it burned before', async () => {
    // The child burns 400 ms, says "ready", waits for a line, burns 300 ms and says "done".
    const script = `${BURN} burn(400); console.log('ready'); process.stdin.once('data', () => { burn(300); console.log('done'); process.stdin.once('end', () => process.exit(0)); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const probe = new CpuProbe(child.pid!);
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('done');
    const used = probe.stop();
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
    expect(used).toBeGreaterThanOrEqual(0.28);
    expect(used).toBeLessThan(0.39);
  });

  it('gives nothing when the process is gone by the end of the window', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const probe = new CpuProbe(child.pid!);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(probe.stop()).toBeUndefined();
  });
});
