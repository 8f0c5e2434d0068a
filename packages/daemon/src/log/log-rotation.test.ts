import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { logFiles, rotateLog } from './log-rotation.js';

function logDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-log-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, file: path.join(dir, 'daemon.log') };
}

describe('rotateLog', () => {
  it('shifts daemon.log to .1 and older ones up, keeping max_log_files', async () => {
    const { file } = logDir();
    writeFileSync(file, 'current-current');
    writeFileSync(`${file}.1`, 'one');
    writeFileSync(`${file}.2`, 'two');
    writeFileSync(`${file}.3`, 'three');
    expect(await rotateLog(file, { maxSize: 10, maxFiles: 3 })).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('current-current');
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('one');
    expect(readFileSync(`${file}.3`, 'utf8')).toBe('two');
    expect(existsSync(`${file}.4`)).toBe(false);
  });

  it('leaves a log at or under the limit alone, and never rotates with max_log_size "0"', async () => {
    const { file } = logDir();
    writeFileSync(file, '1234567890');
    expect(await rotateLog(file, { maxSize: 10, maxFiles: 3 })).toBe(false);
    expect(await rotateLog(file, { maxSize: 0, maxFiles: 3 })).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('1234567890');
    expect(await rotateLog(path.join(path.dirname(file), 'missing.log'), { maxSize: 1, maxFiles: 1 })).toBe(
      false,
    );
  });

  it('removes rotations beyond a lowered limit, and keeps none with max_log_files 0', async () => {
    const { file } = logDir();
    for (const name of ['', '.1', '.2', '.5']) writeFileSync(`${file}${name}`, 'xxxxxxxxxxxx');
    await rotateLog(file, { maxSize: 1, maxFiles: 1 });
    expect((await logFiles(file)).map((log) => log.generation)).toEqual([1]);
    writeFileSync(file, 'xxxxxxxxxxxx');
    await rotateLog(file, { maxSize: 1, maxFiles: 0 });
    expect(await logFiles(file)).toEqual([]);
  });
});

describe('logFiles', () => {
  it('lists the log and its numbered rotations only', async () => {
    const { dir, file } = logDir();
    writeFileSync(file, 'abc');
    writeFileSync(`${file}.2`, 'de');
    writeFileSync(`${file}.old`, 'x');
    writeFileSync(`${file}.01`, 'x');
    writeFileSync(path.join(dir, 'other.log'), 'x');
    expect(await logFiles(file)).toEqual([
      { path: file, size: 3, generation: 0 },
      { path: `${file}.2`, size: 2, generation: 2 },
    ]);
  });
});
