import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@glci/config';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushThrough } from './push-through.js';
import { createPushThroughConfigHandler } from './push-through-endpoint.js';

const logger = createLogger({ silent: true });
const secret = 'internal-secret-0123456789';
let close: (() => void) | undefined;

afterEach(() => close?.());

async function serve() {
  const pushThrough = createPushThrough({ upstream: { url: 'http://127.0.0.1:1' }, logger });
  const handler = createPushThroughConfigHandler({ pushThrough, secret, logger });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => server.close();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/push-through-config`;
  return { pushThrough, url };
}

describe('POST /internal/push-through-config', () => {
  it('swaps the settings with the right secret', async () => {
    const { pushThrough, url } = await serve();
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      // Resolved by the daemon: the `$` is part of the password, not a variable reference.
      body: JSON.stringify({ url: 'https://mirror.example.com', username: 'ci', password: 'pa$word' }),
    });
    expect(response.status).toBe(204);
    expect(pushThrough.current()).toEqual({ enabled: true, url: 'https://mirror.example.com' });
    const off = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: 'null',
    });
    expect(off.status).toBe(204);
    expect(pushThrough.current()).toEqual({ enabled: false });
  });

  it('refuses a missing or wrong secret and a bad body, changing nothing', async () => {
    const { pushThrough, url } = await serve();
    const body = JSON.stringify({ url: 'https://evil.example.com' });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    expect(
      (await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope' }, body })).status,
    ).toBe(401);
    expect(
      (await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}x` }, body })).status,
    ).toBe(401);
    const bad = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: JSON.stringify({ url: 'ftp://x' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/http/);
    expect(pushThrough.current()).toEqual({ enabled: true, url: 'http://127.0.0.1:1' });
  });
});
