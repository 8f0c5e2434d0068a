import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger } from '@glci/config';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalRoutes, sendJson } from './internal-routes.js';

const SECRET = 'route-test-secret-0123456789';
const log = new PassThrough();
let logged = '';
log.on('data', (chunk: Buffer) => {
  logged += chunk.toString();
});
let server: http.Server;
let url: string;
let calls = 0;

beforeAll(async () => {
  const app = express();
  app.use(
    '/internal',
    internalRoutes({
      secret: SECRET,
      logger: createLogger({ level: 'debug', stream: log }),
      routes: {
        'GET /ping': (_req, res) => {
          calls++;
          sendJson(res, 200, { pong: true });
        },
        'POST /echo': async (req, res) => {
          calls++;
          let body = '';
          for await (const chunk of req) body += String(chunk);
          sendJson(res, 200, { body });
        },
        'GET /boom': () => {
          throw new Error('boom');
        },
      },
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const withSecret = { Authorization: `Bearer ${SECRET}` };

describe('internalRoutes', () => {
  it('runs the routes with the secret', async () => {
    const ping = await fetch(`${url}/ping`, { headers: withSecret });
    expect(ping.status).toBe(200);
    expect(ping.headers.get('cache-control')).toBe('no-store');
    expect(await ping.json()).toEqual({ pong: true });
    const echo = await fetch(`${url}/echo`, { method: 'POST', headers: withSecret, body: 'hello' });
    expect(await echo.json()).toEqual({ body: 'hello' });
  });

  it('refuses before any route runs, and logs neither the secret nor what was sent', async () => {
    const before = calls;
    for (const authorization of [
      '',
      `Bearer  ${SECRET}`,
      `Basic ${SECRET}`,
      `bearer ${SECRET}`,
      `Bearer ${SECRET.toUpperCase()}`,
    ]) {
      const response = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: authorization ? { Authorization: authorization } : {},
        body: 'payload',
      });
      expect(response.status, JSON.stringify(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="glci-mock internal"');
    }
    expect(calls).toBe(before);
    expect(logged).toContain('internal endpoint refused');
    expect(logged).not.toContain(SECRET);
    expect(logged.toLowerCase()).not.toContain(SECRET.toLowerCase());
  });

  it('answers unknown paths and wrong methods 404 behind the guard, and errors 500', async () => {
    expect((await fetch(`${url}/nope`, { headers: withSecret })).status).toBe(404);
    expect((await fetch(`${url}/ping`, { method: 'POST', headers: withSecret })).status).toBe(404);
    expect((await fetch(`${url}/boom`, { headers: withSecret })).status).toBe(500);
  });
});
