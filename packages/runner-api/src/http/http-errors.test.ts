import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSilentLogger } from '@glci/config';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, RangeMismatchError } from '../errors.js';
import { errorHandler, parseBody } from './http-errors.js';

describe('http errors', () => {
  it('parseBody names the bad field', () => {
    expect(() => parseBody(z.object({ a: z.object({ b: z.number() }) }), { a: { b: 'x' } })).toThrow(
      /^a\.b: /,
    );
    expect(parseBody(z.object({ a: z.number().optional() }), undefined)).toEqual({});
  });

  it('maps typed errors, body-parser errors and crashes to JSON', async () => {
    const app = express();
    app.get('/conflict', () => {
      throw new ConflictError('busy');
    });
    app.get('/range', () => {
      throw new RangeMismatchError('gap', 7);
    });
    app.post('/json', express.json(), (_req, res) => void res.end());
    app.get('/crash', () => {
      throw new Error('secret internals');
    });
    app.use(errorHandler(createSilentLogger()));
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const conflict = await fetch(`${url}/conflict`);
      expect(conflict.status).toBe(409);
      expect(await conflict.json()).toEqual({ message: '409 busy' });
      const range = await fetch(`${url}/range`);
      expect(range.status).toBe(416);
      expect(range.headers.get('range')).toBe('0-7');
      const json = await fetch(`${url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      });
      expect(json.status).toBe(400);
      const crash = await fetch(`${url}/crash`);
      expect(crash.status).toBe(500);
      expect(await crash.text()).not.toContain('secret internals');
    } finally {
      server.close();
    }
  });
});
