import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { freePort } from '@glci/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runTunnel, tunnelPort } from './tunnel.js';

/** A TCP server that answers each connection with the SHA-256 of everything it received, once the client half-closes. */
async function hashingServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    socket.on('data', (chunk) => hash.update(chunk));
    socket.on('end', () => socket.end(hash.digest('hex')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as { port: number }).port };
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

describe('runTunnel', () => {
  it('carries bytes both ways, and half-closes when stdin ends', async () => {
    const { port } = await hashingServer();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const output = collect(stdout);
    const payload = randomBytes(3 * 1024 * 1024);
    const done = runTunnel({ port, stdin, stdout, stderr });
    stdin.end(payload);
    expect(await done).toBe(0);
    expect(output()).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('exits 1 with the reason on stderr when nothing listens', async () => {
    const port = await freePort();
    const stderr = new PassThrough();
    const errors = collect(stderr);
    const code = await runTunnel({ port, stdin: new PassThrough(), stdout: new PassThrough(), stderr });
    expect(code).toBe(1);
    expect(errors()).toBe(`glci-mock tunnel: 127.0.0.1:${port}: ECONNREFUSED\n`);
  });
});

describe('tunnelPort', () => {
  it('reads GLCI_MOCK_PORT, defaulting to 39741', () => {
    expect(tunnelPort({})).toBe(39741);
    expect(tunnelPort({ GLCI_MOCK_PORT: '8080' })).toBe(8080);
    expect(() => tunnelPort({ GLCI_MOCK_PORT: 'http' })).toThrow(/GLCI_MOCK_PORT must be a port number/);
    expect(() => tunnelPort({ GLCI_MOCK_PORT: '70000' })).toThrow(/GLCI_MOCK_PORT/);
  });
});

describe('glci-mock tunnel (the bin)', () => {
  it('relays stdin and stdout of its own process', async () => {
    const { port } = await hashingServer();
    const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const child = spawn(tsx, ['--conditions=source', path.join(import.meta.dirname, 'bin.ts'), 'tunnel'], {
      env: { ...process.env, GLCI_MOCK_PORT: String(port) },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stdin.end('hello through the tunnel');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toBe(createHash('sha256').update('hello through the tunnel').digest('hex'));
  });
});
