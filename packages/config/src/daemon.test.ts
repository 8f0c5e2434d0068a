import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDaemon } from './daemon.js';
import { configSchema } from './schema.js';

const glciHome = '/home/ada/.glci';

/** A loaded config as loadConfig resolves it: the default paths under GLCI_HOME. */
function loaded(overrides: { daemon?: Record<string, unknown>; network?: Record<string, unknown> } = {}) {
  const config = configSchema.parse(overrides);
  return {
    glciHome,
    config: {
      ...config,
      daemon: {
        ...config.daemon,
        socket: (overrides.daemon?.socket as string) ?? path.join(glciHome, 'daemon.sock'),
        log_file: path.join(glciHome, 'daemon.log'),
      },
      network: {
        ...config.network,
        daemon_socket: (overrides.network?.daemon_socket as string) ?? path.join(glciHome, 'daemon.sock'),
      },
    },
  };
}

describe('resolveDaemon', () => {
  it('uses [daemon] with its defaults', () => {
    expect(resolveDaemon(loaded(), {})).toEqual({
      socket: '/home/ada/.glci/daemon.sock',
      socketSource: 'daemon.socket',
      logFile: '/home/ada/.glci/daemon.log',
      idleTimeoutMs: 30 * 60_000,
      maxLogSize: 50 * 1024 * 1024,
      maxLogFiles: 3,
    });
  });

  it('lets GLCI_DAEMON_SOCK win, with ~ and relative paths resolved', () => {
    expect(resolveDaemon(loaded(), { GLCI_DAEMON_SOCK: '/run/user/1000/glci.sock' }).socket).toBe(
      '/run/user/1000/glci.sock',
    );
    const fromHome = resolveDaemon(loaded(), { GLCI_DAEMON_SOCK: '~/g.sock' }, { home: '/home/ada' });
    expect(fromHome).toMatchObject({ socket: '/home/ada/g.sock', socketSource: 'GLCI_DAEMON_SOCK' });
    expect(resolveDaemon(loaded(), { GLCI_DAEMON_SOCK: 'g.sock' }, { cwd: '/srv' }).socket).toBe(
      '/srv/g.sock',
    );
  });

  it('takes [network] daemon_socket when only that key was changed', () => {
    const resolved = resolveDaemon(loaded({ network: { daemon_socket: '/tmp/other.sock' } }), {});
    expect(resolved).toMatchObject({ socket: '/tmp/other.sock', socketSource: 'network.daemon_socket' });
    const both = resolveDaemon(
      loaded({ daemon: { socket: '/tmp/d.sock' }, network: { daemon_socket: '/tmp/n.sock' } }),
      {},
    );
    expect(both).toMatchObject({ socket: '/tmp/d.sock', socketSource: 'daemon.socket' });
  });

  it('passes "0" through as 0: no idle stop, no rotation', () => {
    const resolved = resolveDaemon(loaded({ daemon: { idle_timeout: '0', max_log_size: '0' } }), {});
    expect(resolved).toMatchObject({ idleTimeoutMs: 0, maxLogSize: 0 });
  });
});
