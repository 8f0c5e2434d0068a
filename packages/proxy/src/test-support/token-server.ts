import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run } from '@glci/testkit';

/**
 * A Docker token service for a real CNCF distribution configured with `auth: token:`. It signs
 * RS256 JWTs with a key and self-signed certificate generated for the test (openssl), carries the
 * certificate in the `x5c` header, and distribution validates every token against that certificate
 * as its root bundle. It checks HTTP Basic credentials and grants the requested scope only to them;
 * anonymous requests get pull-only tokens when `anonymousPull` is set.
 */
export interface TokenServer extends AsyncDisposable {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certificateFile: string;
  /** Token requests seen, with whether they carried valid credentials. */
  readonly requests: { scope: string | null; authenticated: boolean; authorization: string | undefined }[];
  /** The YAML to append to distribution's configuration. */
  distributionConfig(): string;
  stop(): Promise<void>;
}

export async function startTokenServer(options: {
  username: string;
  password: string;
  anonymousPull?: boolean;
  expiresInSeconds?: number;
}): Promise<TokenServer> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'glci-token-'));
  const keyFile = path.join(work, 'key.pem');
  const certificateFile = path.join(work, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certificateFile,
    '-days',
    '2',
    '-subj',
    '/CN=glci-test-token-issuer',
  ]);
  const key = readFileSync(keyFile, 'utf8');
  const certificate = new X509Certificate(readFileSync(certificateFile));
  const x5c = certificate.raw.toString('base64');
  const service = 'glci-test-registry';
  const issuer = 'glci-test-issuer';
  const requests: TokenServer['requests'] = [];
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const authorization = req.headers.authorization;
    const authenticated = authorization === expected;
    const scope = url.searchParams.get('scope');
    requests.push({ scope, authenticated, authorization });
    if (authorization !== undefined && !authenticated) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"bad credentials"}');
      return;
    }
    const access = [];
    for (const item of url.searchParams.getAll('scope')) {
      const [type, name, actions] = [
        item.split(':')[0],
        item.split(':').slice(1, -1).join(':'),
        item.split(':').at(-1),
      ];
      const requested = (actions ?? '').split(',');
      const granted = authenticated
        ? requested
        : options.anonymousPull
          ? requested.filter((a) => a === 'pull')
          : [];
      if (type === 'repository' && name) access.push({ type, name, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresInSeconds ?? 300;
    const header = { typ: 'JWT', alg: 'RS256', x5c: [x5c] };
    const claims = {
      iss: issuer,
      sub: authenticated ? options.username : '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode(header)}.${encode(claims)}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
    const token = `${input}.${signature}`;
    const body = JSON.stringify({
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(work, { recursive: true, force: true });
  };
  return {
    realm,
    service,
    issuer,
    certificateFile,
    requests,
    distributionConfig: () =>
      `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${certificateFile}\n`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
