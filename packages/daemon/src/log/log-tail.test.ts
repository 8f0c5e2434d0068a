import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { followLines, readLastLines } from './log-tail.js';

function logFile() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-tail-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'daemon.log');
}

describe('readLastLines', () => {
  it('returns the last N lines, across read chunks', async () => {
    const file = logFile();
    const lines = Array.from({ length: 5000 }, (_, index) => `line ${index} ${'x'.repeat(40)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await readLastLines(file, 3)).toEqual(lines.slice(-3));
    expect(await readLastLines(file, 4000)).toEqual(lines.slice(-4000));
    expect(await readLastLines(file, 9999)).toEqual(lines);
  });

  it('handles a last line without a newline, an empty file and a missing one', async () => {
    const file = logFile();
    writeFileSync(file, 'a\nb');
    expect(await readLastLines(file, 5)).toEqual(['a', 'b']);
    writeFileSync(file, '');
    expect(await readLastLines(file, 5)).toEqual([]);
    expect(await readLastLines(`${file}.missing`, 5)).toEqual([]);
  });
});

describe('followLines', () => {
  it('yields appended lines, and starts over when the log is replaced', async () => {
    const file = logFile();
    writeFileSync(file, 'old\n');
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of followLines(file, { from: 4, signal: controller.signal, intervalMs: 10 })) {
        seen.push(line);
        if (line === 'after rotation') controller.abort();
      }
    })();
    appendFileSync(file, 'one\ntw');
    await expect.poll(() => seen).toEqual(['one']);
    appendFileSync(file, 'o\n');
    await expect.poll(() => seen).toEqual(['one', 'two']);
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'after rotation\n');
    await following;
    expect(seen).toEqual(['one', 'two', 'after rotation']);
  });
});
