import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isAlive } from '@glci/daemon/client';
import { describe, expect, it, type TestContext, vi } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../test-support/run-glci.js';
import { formatLogLine, formatUptime } from './daemon/format.js';

/** A sandbox whose daemon (if any) is killed when the test ends. */
function sandboxFor(context: TestContext): CliSandbox & { daemonPids: Set<number> } {
  const sandbox = createCliSandbox();
  const daemonPids = new Set<number>();
  context.onTestFinished(() => {
    for (const pid of daemonPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    sandbox.remove();
  });
  return Object.assign(sandbox, { daemonPids });
}

async function startJson(sandbox: CliSandbox & { daemonPids: Set<number> }) {
  const result = await sandbox.run(['daemon', 'start', '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const started = JSON.parse(result.stdout) as { outcome: string; pid: number; spawnedPid?: number };
  sandbox.daemonPids.add(started.pid);
  if (started.spawnedPid) sandbox.daemonPids.add(started.spawnedPid);
  return started;
}

describe('glci daemon', { timeout: 90_000 }, () => {
  it('says the daemon is not running, as text and JSON, without starting it', async (context) => {
    const sandbox = sandboxFor(context);
    const socket = path.join(sandbox.glciHome, 'daemon.sock');
    expect(await sandbox.run(['daemon', 'status'])).toEqual({
      code: 0,
      stdout: `The glci daemon is not running (socket ${socket}).\n`,
      stderr: '',
    });
    const json = await sandbox.run(['daemon', 'status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ running: false, socket });
    expect(await sandbox.run(['daemon', 'stop'])).toMatchObject({
      code: 0,
      stdout: 'The glci daemon is not running.\n',
    });
    expect(existsSync(socket)).toBe(false);
  });

  it('starts, reports status, version and logs, and stops gracefully', async (context) => {
    const sandbox = sandboxFor(context);
    const started = await startJson(sandbox);
    expect(started.outcome).toBe('started');
    const socket = path.join(sandbox.glciHome, 'daemon.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(sandbox.glciHome).mode & 0o777).toBe(0o700);

    const again = await sandbox.run(['daemon', 'start']);
    expect(again.stdout).toMatch(
      new RegExp(`^The glci daemon is already running \\(pid ${started.pid}, commit [0-9a-f]{12}`),
    );

    const status = JSON.parse((await sandbox.run(['daemon', 'status', '--json'])).stdout) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      running: true,
      pid: started.pid,
      socket,
      stopping: false,
      activeWork: [],
    });
    const text = (await sandbox.run(['daemon', 'status'])).stdout;
    expect(text).toMatch(
      new RegExp(`^state +running\\npid +${started.pid}\\nuptime +\\d+s\\ncommit +[0-9a-f]{12}`),
    );

    const version = JSON.parse((await sandbox.run(['version', '--json'])).stdout) as {
      commit: string;
      daemon: { running: boolean; pid: number; commit: string; sameBuild: boolean };
    };
    expect(version.daemon).toMatchObject({
      running: true,
      pid: started.pid,
      commit: version.commit,
      sameBuild: true,
    });
    expect((await sandbox.run(['version'])).stdout).toMatch(
      new RegExp(`\\ndaemon  commit [0-9a-f]{12}\\S* \\(pid ${started.pid}, up \\d+s\\)\\n$`),
    );

    const logs = await sandbox.run(['daemon', 'logs', '-n', '1']);
    expect(logs.stdout).toMatch(/^\S+Z info daemon listening \{.*"pid":\d+/);
    const raw = await sandbox.run(['daemon', 'logs', '--json']);
    expect(JSON.parse(raw.stdout.split('\n')[0]!)).toMatchObject({
      level: 'info',
      message: 'daemon listening',
    });

    const stopped = await sandbox.run(['daemon', 'stop']);
    expect(stopped).toEqual({
      code: 0,
      stdout: `The glci daemon stopped (pid ${started.pid}).\n`,
      stderr: '',
    });
    expect(isAlive(started.pid)).toBe(false);
    expect(existsSync(socket)).toBe(false);
    const log = readFileSync(path.join(sandbox.glciHome, 'daemon.log'), 'utf8');
    expect(log).toContain('"message":"daemon stopped"');
  });

  it('has exactly one daemon when two glci commands start it at once', async (context) => {
    const sandbox = sandboxFor(context);
    const [first, second] = await Promise.all([startJson(sandbox), startJson(sandbox)]);
    expect(first.pid).toBe(second.pid);
    const spawned = [first.spawnedPid, second.spawnedPid].filter((pid): pid is number => pid !== undefined);
    for (const pid of spawned.filter((pid) => pid !== first.pid)) {
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 10_000 });
    }
    expect(isAlive(first.pid)).toBe(true);
  });

  it('stops by itself after [daemon] idle_timeout', async (context) => {
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig('[daemon]\nidle_timeout = "1s"\n');
    const started = await startJson(sandbox);
    await vi.waitFor(() => expect(isAlive(started.pid)).toBe(false), { timeout: 15_000, interval: 200 });
    const log = readFileSync(path.join(sandbox.glciHome, 'daemon.log'), 'utf8');
    expect(log).toMatch(/"message":"daemon stopping".*"reason":"idle for \d+ s"/);
  });

  it('listens where GLCI_DAEMON_SOCK says, and uses [daemon] log_file', async (context) => {
    const sandbox = sandboxFor(context);
    const socket = path.join(sandbox.home, 'run', 'glci.sock');
    const logFile = path.join(sandbox.home, 'logs', 'glci-daemon.log');
    sandbox.writeUserConfig(`[daemon]\nlog_file = "${logFile}"\n`);
    const env = { GLCI_DAEMON_SOCK: socket };
    const result = await sandbox.run(['daemon', 'start', '--json'], env);
    const started = JSON.parse(result.stdout) as { pid: number };
    sandbox.daemonPids.add(started.pid);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(JSON.parse((await sandbox.run(['daemon', 'status', '--json'], env)).stdout)).toMatchObject({
      pid: started.pid,
      socket,
      logFile,
    });
    const info = JSON.parse((await sandbox.run(['system', 'logs', 'info', '--json'])).stdout) as {
      file: string;
      files: { path: string }[];
    };
    expect(info.file).toBe(logFile);
    expect(info.files.map((file) => file.path)).toEqual([logFile]);
    await sandbox.run(['daemon', 'stop'], env);
  });

  it('refuses bad options as usage errors', async (context) => {
    const sandbox = sandboxFor(context);
    for (const args of [
      ['daemon', 'logs', '-n', '0'],
      ['daemon', 'logs', '-n', 'many'],
      ['daemon', 'stop', '--timeout', 'soon'],
    ]) {
      const result = await sandbox.run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n')[0]).toMatch(/^error: option '.*' argument '.*' is invalid\./);
      expect(stackLines(result.stderr)).toEqual([]);
    }
  });
});

describe('glci daemon logs -F', { timeout: 60_000 }, () => {
  it('prints new lines as they are written, across a rotation, until interrupted', async (context) => {
    const sandbox = sandboxFor(context);
    const log = path.join(sandbox.glciHome, 'daemon.log');
    writeFileSync(log, `${JSON.stringify({ level: 'info', message: 'old', timestamp: 't0' })}\n`);
    // Not through `sandbox.run`, which waits for the exit: node with tsx's loader, so SIGINT reaches glci itself.
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(path.resolve(import.meta.dirname, '../../../../node_modules/tsx/dist/loader.mjs')).href,
        '--conditions=source',
        path.resolve(import.meta.dirname, '../bin.ts'),
        'daemon',
        'logs',
        '-F',
        '-n',
        '1',
      ],
      {
        cwd: sandbox.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: sandbox.home, DOCKER_CONFIG: sandbox.dockerConfig },
      },
    );
    context.onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    await vi.waitFor(() => expect(stdout).toBe('t0 info old\n'), { timeout: 30_000 });
    appendFileSync(log, `${JSON.stringify({ level: 'warn', message: 'new', timestamp: 't1' })}\n`);
    await vi.waitFor(() => expect(stdout).toBe('t0 info old\nt1 warn new\n'), { timeout: 10_000 });
    renameSync(log, `${log}.1`);
    writeFileSync(log, `${JSON.stringify({ level: 'info', message: 'after rotation', timestamp: 't2' })}\n`);
    await vi.waitFor(() => expect(stdout).toContain('t2 info after rotation\n'), { timeout: 10_000 });
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});

describe('glci system logs', { timeout: 60_000 }, () => {
  it('shows the log and its rotations, and cleans them', async (context) => {
    const sandbox = sandboxFor(context);
    const log = path.join(sandbox.glciHome, 'daemon.log');
    writeFileSync(log, 'abc\n');
    writeFileSync(`${log}.1`, 'older\n');
    writeFileSync(`${log}.2`, 'oldest\n');
    const info = await sandbox.run(['system', 'logs', 'info']);
    expect(info.stdout).toBe(
      [
        `Daemon log: ${log}`,
        '',
        `FILE${' '.repeat(log.length + 2 - 4)}  SIZE`,
        `${log}    4 B`,
        `${log}.1  6 B`,
        `${log}.2  7 B`,
        '',
        'Total: 17 B',
        '',
      ].join('\n'),
    );
    const clean = await sandbox.run(['system', 'logs', 'clean']);
    expect(clean.stdout).toBe(`Removed ${log}\nRemoved ${log}.1\nRemoved ${log}.2\nFreed 17 B\n`);
    expect(existsSync(log)).toBe(false);
    expect((await sandbox.run(['system', 'logs', 'clean'])).stdout).toBe('No daemon log to clean.\n');
    expect((await sandbox.run(['system', 'logs', 'info'])).stdout).toBe(
      `Daemon log: ${log} (not written yet)\n`,
    );
  });

  it('empties the log of a running daemon instead of removing it', async (context) => {
    const sandbox = sandboxFor(context);
    await startJson(sandbox);
    const log = path.join(sandbox.glciHome, 'daemon.log');
    const clean = JSON.parse((await sandbox.run(['system', 'logs', 'clean', '--json'])).stdout) as {
      emptied: string;
      removed: string[];
    };
    expect(clean).toMatchObject({ emptied: log, removed: [] });
    expect(statSync(log).size).toBe(0);
    await sandbox.run(['daemon', 'stop']);
    expect(readFileSync(log, 'utf8')).toContain('"message":"daemon stopped"');
  });
});

describe('formatting', () => {
  it.each([
    [45_000, '45s'],
    [750_000, '12m30s'],
    [8_100_000, '2h15m'],
    [100 * 3_600_000, '4d4h'],
  ])('uptime %i ms → %s', (ms, text) => {
    expect(formatUptime(ms)).toBe(text);
  });

  it('shows a JSON log line as time, level, message and context', () => {
    expect(
      formatLogLine(
        '{"level":"info","message":"daemon listening","pid":3,"timestamp":"2026-11-23T08:00:00.000Z"}',
      ),
    ).toBe('2026-11-23T08:00:00.000Z info daemon listening {"pid":3}');
    expect(formatLogLine('not json')).toBe('not json');
    expect(formatLogLine('{broken')).toBe('{broken');
  });
});
