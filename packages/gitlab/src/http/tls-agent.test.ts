import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateTestCertificates } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustingAgent } from './tls-agent.js';

// A real HTTPS server on loopback with a certificate from a CA made for this run, as a
// self-hosted instance with a private CA has.
let server: https.Server;
let url: string;
let ca: string;
let dir: string;
beforeAll(async () => {
  const certificates = await generateTestCertificates();
  ca = readFileSync(certificates.caFile, 'utf8');
  dir = certificates.dir;
  server = https.createServer({ key: certificates.key, cert: certificates.cert }, (_req, res) =>
    res.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function get(agent: https.Agent | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, agent ? { agent } : {}, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('trustingAgent', () => {
  it("trusts the instance's CA besides the system's, keeping connections alive", async () => {
    const agent = await trustingAgent(ca);
    try {
      expect(await get(agent)).toBe('ok');
      expect(await get(agent)).toBe('ok');
      expect(agent.options.keepAlive).toBe(true);
    } finally {
      agent.destroy();
    }
    await expect(get(undefined)).rejects.toThrow(/self-signed|unable to verify|certificate/);
  });
});
