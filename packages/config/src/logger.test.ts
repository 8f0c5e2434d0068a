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

  describe('never writes a secret, whatever carries it', () => {
    // Each kind of secret-bearing value glci logs, each with a secret no other case shares; every
    // one is logged at debug level through the logger itself and then looked for in the output.
    const cases: Array<[string, (logger: ReturnType<typeof createLogger>) => void, string]> = [
      [
        'a URL with user and password in metadata',
        (l) => l.debug('upstream', { upstreams: ['https://ci-bot:Pw-url-1@127.0.0.1:29999'] }),
        'Pw-url-1',
      ],
      [
        'a URL with a token as user in the message',
        (l) => l.debug('cloning https://glpat-Tok2@gitlab.example/g/p.git'),
        'glpat-Tok2',
      ],
      [
        'an S3 storage URL with its key pair',
        (l) => l.debug('storage', { storage: 's3://AKIA3KEY:Sec3ret@bucket/p?region=x' }),
        'Sec3ret',
      ],
      [
        'a presigned URL',
        (l) =>
          l.debug('redirect', {
            location: 'https://b.s3/x?X-Amz-Credential=AKIA4&X-Amz-Signature=Sig4abcdef',
          }),
        'Sig4abcdef',
      ],
      ['a secret query parameter', (l) => l.debug('GET /v2/?access_token=Acc5tok&n=1'), 'Acc5tok'],
      ['a password under its key', (l) => l.debug('login', { password: 'Pass6' }), 'Pass6'],
      [
        'a token in nested metadata',
        (l) => l.debug('job', { job: { runner: [{ token: 'glrt-Tok7' }] } }),
        'glrt-Tok7',
      ],
      ['a secret access key', (l) => l.debug('s3', { secretAccessKey: 'Key8secret' }), 'Key8secret'],
      [
        'an Authorization header',
        (l) => l.debug('request', { headers: { authorization: 'Bearer Bear9tok' } }),
        'Bear9tok',
      ],
      [
        'a bearer token inside an error text',
        (l) => l.debug('failed', { error: 'sent Authorization: Bearer Bear10tok' }),
        'Bear10tok',
      ],
      ['Basic credentials in the message', (l) => l.debug('header Basic QmFzaWMxMXB3'), 'QmFzaWMxMXB3'],
      ['password= in free text', (l) => l.debug('config dump: password=Pw12 user=ada'), 'Pw12'],
      ['a stringified JSON config', (l) => l.debug('config', { text: '{"secret":"Sec13"}' }), 'Sec13'],
      [
        'a session cookie header',
        (l) => l.debug('response', { headers: { 'set-cookie': ['_gitlab_session=Ck15sess'] } }),
        'Ck15sess',
      ],
      ['a child logger context', (l) => l.child({ url: 'http://u:Pw14@h:1' }).debug('child'), 'Pw14'],
    ];

    for (const json of [false, true]) {
      it.each(cases)(`${json ? 'JSON' : 'text'}: %s`, async (_kind, log, secret) => {
        const { logger, lines } = memoryLogger({ json, level: 'debug' });
        log(logger);
        const written = (await lines()).join('\n');
        expect(written).toContain('<redacted>');
        expect(written).not.toContain(secret);
      });
    }

    it('in the log file too', async () => {
      const directory = mkdtempSync(path.join(os.tmpdir(), 'glci-log-'));
      onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
      const file = path.join(directory, 'daemon.log');
      const logger = createLogger({ file, console: false, level: 'debug' });
      for (const [, log] of cases) log(logger);
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const written = readFileSync(file, 'utf8');
      expect(written.split('\n').filter(Boolean)).toHaveLength(cases.length);
      for (const [, , secret] of cases) expect(written).not.toContain(secret);
    });
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

describe('createLogger loads winston only when a line is logged at an enabled level', () => {
  it('leaves winston unloaded for lines below the level, its children and their lines, then logs as before', () => {
    const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
    // A fresh process: whether winston was loaded shows in the CommonJS module cache.
    const script = [
      "import { createRequire } from 'node:module';",
      `import { createLogger } from ${JSON.stringify(path.join(import.meta.dirname, 'logger.ts'))};`,
      `const cache = createRequire(${JSON.stringify(path.join(import.meta.dirname, 'logger.ts'))}).cache;`,
      'const loaded = () => Object.keys(cache).some((file) => /[\\\\/]winston[\\\\/]/.test(file));',
      "const logger = createLogger({ level: 'warn' });",
      "const child = logger.child({ module: 'plan' });",
      "logger.info('hidden'); logger.debug('hidden'); child.info('hidden', { token: 'x' });",
      "process.stdout.write('before: ' + loaded() + '\\n');",
      "child.warn('shown', { token: 'glpat-secret' });",
      "process.stdout.write('after: ' + loaded() + '\\n');",
    ].join('\n');
    const result = spawnSync(tsx, ['--eval', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('before: false\nafter: true\n');
    expect(result.stderr).toMatch(/^\d\d:\d\d:\d\d warn shown \{"module":"plan","token":"<redacted>"\}\n$/);
  });

  it('follows a level changed on the logger, as winston does', async () => {
    const { logger, lines } = memoryLogger({ level: 'warn' });
    const child = logger.child({ module: 'plan' });
    logger.level = 'debug';
    child.debug('now shown');
    expect(await lines()).toEqual([expect.stringMatching(/ debug now shown \{"module":"plan"\}$/)]);
  });
});
