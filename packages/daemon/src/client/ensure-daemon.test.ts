import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedDaemon } from '@glci/config';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { BuildInfo } from '../build-info.js';
import { isAlive } from '../process-alive.js';
import { REPO_ROOT } from '../test-support/spawn-ts.js';
import { DaemonStartError, type EnsureDaemonOptions, ensureDaemon } from './ensure-daemon.js';

const entry = path.join(import.meta.dirname, '../test-support/daemon-main.ts');
const buildA: BuildInfo = { commit: 'a'.repeat(40), source: 'git' };
const buildB: BuildInfo = { commit: 'b'.repeat(40), dirty: '0badf00d', source: 'git' };

/** A home for one test, and the options ensureDaemon gets from the CLI there. */
function setup() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-ensure-'));
  const glciHome = path.join(root, '.glci');
  const settings: ResolvedDaemon = {
    socket: path.join(glciHome, 'daemon.sock'),
    socketSource: 'daemon.socket',
    logFile: path.join(glciHome, 'daemon.log'),
    idleTimeoutMs: 0,
    maxLogSize: 0,
    maxLogFiles: 3,
  };
  const pids = new Set<number>();
  onTestFinished(async () => {
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  const options = (build: BuildInfo, extraEnv: NodeJS.ProcessEnv = {}): EnsureDaemonOptions => ({
    socketPath: settings.socket,
    build,
    command: {
      command: process.execPath,
      args: ['--import', 'tsx', '--conditions=source', entry],
      cwd: REPO_ROOT,
      env: { ...process.env, GLCI_TEST_DAEMON: JSON.stringify({ settings, glciHome, build }), ...extraEnv },
    },
  });
  return { root, glciHome, settings, options, track: (pid: number) => pids.add(pid) };
}

describe('ensureDaemon', () => {
  it('starts a daemon when none runs, then finds it running', async () => {
    const { settings, options, track } = setup();
    const started = await ensureDaemon(options(buildA));
    track(started.status.pid);
    expect(started.outcome).toBe('started');
    expect(started.spawnedPid).toBe(started.status.pid);
    expect(started.status.build.identity).toBe(buildA.commit);
    const again = await ensureDaemon(options(buildA));
    expect(again).toMatchObject({ outcome: 'running', status: { pid: started.status.pid } });
    await vi.waitFor(() => expect(readFileSync(settings.logFile, 'utf8')).toContain('daemon listening'));
  });

  it('lets exactly one daemon win when two CLIs start it at once', async () => {
    const { options, track } = setup();
    const results = await Promise.all([ensureDaemon(options(buildA)), ensureDaemon(options(buildA))]);
    for (const result of results) track(result.status.pid);
    expect(results[0].status.pid).toBe(results[1].status.pid);
    expect(results.map((result) => result.outcome).sort()).toEqual(['started', 'started']);
    const spawned = results.map((result) => result.spawnedPid!);
    expect(new Set(spawned).size).toBe(2);
    const loser = spawned.find((pid) => pid !== results[0].status.pid)!;
    await vi.waitFor(() => expect(isAlive(loser)).toBe(false), { timeout: 10_000 });
  });

  it('restarts an idle daemon of another build, saying so', async () => {
    const { options, track } = setup();
    const old = await ensureDaemon(options(buildA));
    track(old.status.pid);
    const notes: string[] = [];
    const fresh = await ensureDaemon({ ...options(buildB), notify: (note) => notes.push(note) });
    track(fresh.status.pid);
    expect(fresh.outcome).toBe('restarted');
    expect(fresh.status.pid).not.toBe(old.status.pid);
    expect(fresh.status.build.identity).toBe(`${buildB.commit}-dirty.0badf00d`);
    expect(notes).toEqual([
      'restarting the glci daemon: the daemon runs aaaaaaaaaaaa, this glci is bbbbbbbbbbbb-dirty.0badf00d',
    ]);
    expect(isAlive(old.status.pid)).toBe(false);
  });

  it('keeps a busy daemon of another build running, with a warning', async () => {
    const { options, track } = setup();
    const busy = await ensureDaemon(options(buildA, { GLCI_TEST_BUSY: '1' }));
    track(busy.status.pid);
    const notes: string[] = [];
    const result = await ensureDaemon({ ...options(buildB), notify: (note) => notes.push(note) });
    expect(result).toMatchObject({ outcome: 'running', status: { pid: busy.status.pid } });
    expect(notes).toEqual([
      'warning: the daemon runs aaaaaaaaaaaa, this glci is bbbbbbbbbbbb-dirty.0badf00d, but it has 1 active pipeline; it keeps running. Run "glci daemon stop" when they are done to update it.',
    ]);
  });

  it('starts a new daemon over the stale socket of one killed with SIGKILL', async () => {
    const { options, track } = setup();
    const first = await ensureDaemon(options(buildA));
    process.kill(first.status.pid, 'SIGKILL');
    await vi.waitFor(() => expect(isAlive(first.status.pid)).toBe(false));
    const second = await ensureDaemon(options(buildA));
    track(second.status.pid);
    expect(second.outcome).toBe('started');
    expect(second.status.pid).not.toBe(first.status.pid);
  });

  it('reports why a daemon could not start, from its stderr', async () => {
    const { root, options } = setup();
    const shared = path.join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const socket = path.join(shared, 'daemon.sock');
    const base = options(buildA, { GLCI_DAEMON_SOCK: socket });
    const failure = ensureDaemon({ ...base, socketPath: socket });
    await expect(failure).rejects.toBeInstanceOf(DaemonStartError);
    await expect(failure).rejects.toThrow(/exited before it answered[\s\S]*writable by other users/);
  });

  it('fails with the reason when the command cannot even be run', async () => {
    const { options } = setup();
    const base = options(buildA);
    await expect(
      ensureDaemon({ ...base, command: { ...base.command, command: '/nonexistent/node' } }),
    ).rejects.toThrow(/cannot start the glci daemon \(spawn \/nonexistent\/node ENOENT\)/);
  });
});

describe('the daemon process', () => {
  it('rotates its log at start, logs to the file only, and exits 0 on SIGTERM', async () => {
    const { settings, options, track } = setup();
    mkdirSync(path.dirname(settings.logFile), { recursive: true });
    writeFileSync(settings.logFile, `${'x'.repeat(100)}\n`);
    const base = options(buildA);
    const rotating = { ...settings, maxLogSize: 50 };
    const env = {
      ...base.command.env,
      GLCI_TEST_DAEMON: JSON.stringify({
        settings: rotating,
        glciHome: path.dirname(settings.logFile),
        build: buildA,
      }),
    };
    const started = await ensureDaemon({ ...base, command: { ...base.command, env } });
    track(started.status.pid);
    expect(readFileSync(`${settings.logFile}.1`, 'utf8')).toBe(`${'x'.repeat(100)}\n`);
    process.kill(started.status.pid, 'SIGTERM');
    await vi.waitFor(() => expect(isAlive(started.status.pid)).toBe(false));
    const lines = readFileSync(settings.logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string });
    expect(lines.map((line) => line.message)).toEqual(
      expect.arrayContaining(['daemon listening', 'daemon stopping', 'daemon stopped']),
    );
  });
});
