import { readFile } from 'node:fs/promises';
import { DEFAULT_MOCK_PORT } from './mock-port.js';

/**
 * `glci-mock healthcheck`: true when `/internal/health` answers 200 (Docker's HEALTHCHECK). Docker
 * runs it every half second while the daemon waits for the mock, so it loads none of the server's
 * modules when the environment names the secret (the glci-mock container's does): importing the
 * whole mock took longer than the check's timeout on a loaded machine, and a healthy mock stayed
 * "starting" for half a minute.
 */
export async function healthcheck(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  let target: { host: string; port: number; secret: string };
  try {
    target = await healthTarget(env);
  } catch {
    return false;
  }
  const host = target.host === '0.0.0.0' || target.host === '::' ? '127.0.0.1' : target.host;
  try {
    const response = await fetch(
      `http://${host.includes(':') ? `[${host}]` : host}:${target.port}/internal/health`,
      { headers: { Authorization: `Bearer ${target.secret}` }, signal: AbortSignal.timeout(5000) },
    );
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function healthTarget(env: NodeJS.ProcessEnv): Promise<{ host: string; port: number; secret: string }> {
  const secret =
    env.GLCI_MOCK_SECRET ||
    (env.GLCI_MOCK_SECRET_FILE ? (await readFile(env.GLCI_MOCK_SECRET_FILE, 'utf8')).trim() : '');
  const port = env.GLCI_MOCK_PORT ? Number(env.GLCI_MOCK_PORT) : DEFAULT_MOCK_PORT;
  if (secret && Number.isInteger(port) && port > 0 && port < 65_536) {
    return { host: env.GLCI_MOCK_HOST || '127.0.0.1', port, secret };
  }
  // The secret lives in the data directory, found through the configuration: the full settings.
  const { readMockSettings } = await import('./settings.js');
  return readMockSettings(env);
}
