import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive } from './process-alive.js';

describe('isAlive', () => {
  it('knows this process, and not one that has exited', () => {
    expect(isAlive(process.pid)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(isAlive(exited)).toBe(false);
  });
});
