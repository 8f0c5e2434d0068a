import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createLogger, type LogLevel } from './logger.js';

/** A logger writing to memory; `lines()` waits for everything logged so far. */
function memoryLogger(options: { json?: boolean; level?: LogLevel } = {}) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const logger = createLogger({ ...options, stream });
  return {
    logger,
    async lines(): Promise<string[]> {
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
      return text.split('\n').filter(Boolean);
    },
  };
}

describe('createLogger', () => {
  it('redacts secrets in metadata before the line is written', async () => {
    const { logger, lines } = memoryLogger({ json: true });
    logger.info('pushing', { repo: 'app', password: 'hunter2', headers: { Authorization: 'Bearer abc' } });
    const [line] = await lines();
    const entry = JSON.parse(line!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'pushing',
      repo: 'app',
      password: '<redacted>',
      headers: { Authorization: '<redacted>' },
    });
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('Bearer abc');
  });

  it('redacts secrets a child logger carries in its context', async () => {
    const { logger, lines } = memoryLogger();
    logger.child({ module: 'proxy', token: 'glpat-123' }).warn('upstream slow');
    const [line] = await lines();
    expect(line).toMatch(/^\d\d:\d\d:\d\d warn upstream slow \{"module":"proxy","token":"<redacted>"\}$/);
  });

  it('writes human-readable lines without metadata braces when there is none', async () => {
    const { logger, lines } = memoryLogger();
    logger.error('gone');
    expect(await lines()).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d error gone$/)]);
  });

  it('drops messages below its level', async () => {
    const { logger, lines } = memoryLogger({ level: 'warn' });
    logger.info('quiet');
    logger.debug('quieter');
    logger.warn('loud');
    const written = await lines();
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('warn loud');
  });

  describe('GLCI_LOG_LEVEL', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('sets the level when no level is given', async () => {
      vi.stubEnv('GLCI_LOG_LEVEL', 'debug');
      const { logger, lines } = memoryLogger();
      logger.debug('traced');
      expect(await lines()).toEqual([expect.stringMatching(/ debug traced$/)]);
    });

    it('falls back to info when it names no level, instead of dropping every message', async () => {
      vi.stubEnv('GLCI_LOG_LEVEL', 'loud');
      const { logger, lines } = memoryLogger();
      logger.debug('hidden');
      logger.error('shown');
      expect(await lines()).toEqual([expect.stringMatching(/ error shown$/)]);
    });
  });

  it('writes nothing when silent', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const logger = createLogger({ stream, silent: true });
    logger.error('nobody hears this', { password: 'x' });
    await new Promise<void>((resolve) => {
      logger.on('finish', resolve);
      logger.end();
    });
    expect(chunks).toEqual([]);
  });

  it('writes JSON lines to a file, and only there with console: false', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-logger-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'daemon.log');
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const logger = createLogger({ stream, file, console: false });
    logger.info('daemon started', { pid: 42, token: 'glrt-secret' });
    await new Promise<void>((resolve) => {
      logger.on('finish', resolve);
      logger.end();
    });
    // The file transport flushes after the logger finishes.
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toContain('daemon started'));
    const entry = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', message: 'daemon started', pid: 42, token: '<redacted>' });
    expect(typeof entry.timestamp).toBe('string');
    expect(chunks).toEqual([]);
  });
});

describe('createLogger without a stream', () => {
  it('writes every level to stderr, keeping stdout clean for --json output', () => {
    const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const script = [
      `import { createLogger } from ${JSON.stringify(path.join(import.meta.dirname, 'logger.ts'))};`,
      "const logger = createLogger({ level: 'debug' });",
      "logger.info('to stderr', { password: 'hunter2' });",
      "logger.error('also stderr');",
    ].join('\n');
    const result = spawnSync(tsx, ['--eval', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/ info to stderr \{"password":"<redacted>"\}\n.* error also stderr\n$/);
  });
});
