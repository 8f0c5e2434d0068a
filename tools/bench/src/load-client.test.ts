import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoad } from './load-client.js';

describe('openLoad', () => {
  const body = Buffer.alloc(700, 'm');
  let connections = 0;
  let status = 200;
  const server = http.createServer((request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  server.on('connection', () => connections++);
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['GET', 'HEAD'] as const)('keeps %s requests on the same connections', async (method) => {
    connections = 0;
    const load = await openLoad({
      host: '127.0.0.1',
      port,
      method,
      path: '/v2/x/manifests/1',
      connections: 4,
      contentLength: body.length,
    });
    try {
      const completed = await load.run(0.2);
      expect(completed).toBeGreaterThan(20);
      expect(connections).toBe(4);
    } finally {
      load.close();
    }
  });

  it('fails on a wrong status or length instead of counting it', async () => {
    const open = (contentLength: number) =>
      openLoad({ host: '127.0.0.1', port, method: 'GET', path: '/p', connections: 1, contentLength });
    const short = await open(10);
    await expect(short.run(0.1)).rejects.toThrow(/Content-Length 700 instead of 10/);
    short.close();
    status = 404;
    const missing = await open(body.length);
    await expect(missing.run(0.1)).rejects.toThrow(/404/);
    missing.close();
    status = 200;
  });
});
