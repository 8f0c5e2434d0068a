import { createHash, randomBytes } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { createSilentLogger } from '@glci/config';
import { requireDocker, waitFor } from '@glci/testkit';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { dockerodeOptions } from '../connection.js';
import { MOCK_TUNNEL_COMMAND } from '../mock-container.js';
import { TRANSPORTS } from '../test-support/docker-env.js';
import { startMockWithoutPort } from '../test-support/mock-image.js';
import { createExecAgent, type ExecTunnelAgent } from './exec-agent.js';
import { type ExecStream, ExecTunnelError } from './exec-stream.js';

let mock: Awaited<ReturnType<typeof startMockWithoutPort>> | undefined;

beforeAll(async () => {
  await requireDocker();
  mock = await startMockWithoutPort();
}, 720_000);

afterAll(async () => {
  await mock?.remove();
});

interface Response {
  readonly status: number;
  readonly body: Buffer;
  readonly execId: string;
}

/** One HTTP request through the agent; `body` may be a stream. */
function send(
  agent: ExecTunnelAgent,
  method: string,
  path: string,
  options: {
    body?: Buffer | Readable;
    headers?: Record<string, string | number>;
    onRequest?: (req: ClientRequest) => void;
  } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: 'glci-mock', method, path, agent, headers: options.headers ?? {} },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            execId: (req.socket as unknown as ExecStream).execId,
          }),
        );
      },
    );
    req.on('error', reject);
    options.onRequest?.(req);
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

describe.each(TRANSPORTS)('HTTP through docker exec over $transport', ({ host }) => {
  const docker = new Docker(dockerodeOptions({ host, source: 'config' }, {}));

  function agentFor(options: { maxSockets?: number; env?: Record<string, string> } = {}): ExecTunnelAgent {
    const agent = createExecAgent({
      docker,
      container: mock!.container,
      command: MOCK_TUNNEL_COMMAND,
      logger: createSilentLogger(),
      ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    onTestFinished(() => agent.destroy());
    return agent;
  }

  const auth = () => ({ Authorization: `Bearer ${mock!.secret}` });

  it('reaches /internal/health with the secret, and is refused without it', async () => {
    const agent = agentFor();
    // The mock may still be starting: the tunnel then fails with the mock's refusal as its reason.
    await waitFor(
      'the mock to answer through the tunnel',
      async () => (await send(agent, 'GET', '/internal/health', { headers: auth() })).status === 200,
      60_000,
      250,
    );
    const health = await send(agent, 'GET', '/internal/health', { headers: auth() });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok' });
    expect((await send(agent, 'GET', '/internal/health')).status).toBe(401);
  });

  it('reuses one exec for requests one after the other (keep-alive)', async () => {
    const agent = agentFor();
    const responses = [];
    for (let index = 0; index < 5; index++)
      responses.push(await send(agent, 'GET', '/internal/health', { headers: auth() }));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(responses.map((response) => response.execId)).size).toBe(1);
    expect(agent.connectionsOpened).toBe(1);
  });

  it('opens one exec per concurrent connection, up to maxSockets', async () => {
    const agent = agentFor({ maxSockets: 4 });
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => send(agent, 'GET', '/internal/health', { headers: auth() })),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(new Set(responses.map((response) => response.execId)).size).toBe(4);
    expect(agent.connectionsOpened).toBe(4);
  });

  it('carries a 64 MiB body to the mock and back byte for byte', async () => {
    const agent = agentFor();
    const size = 64 * 1024 * 1024;
    const upload = new PassThrough();
    const sent = createHash('sha256');
    const key = `/runner-cache/project/1/exec-tunnel-${randomBytes(4).toString('hex')}`;
    const stored = send(agent, 'PUT', key, { body: upload, headers: { 'Content-Length': size } });
    for (let offset = 0; offset < size; offset += 1024 * 1024) {
      const piece = randomBytes(1024 * 1024);
      sent.update(piece);
      if (!upload.write(piece)) await new Promise((resolve) => upload.once('drain', resolve));
    }
    upload.end();
    expect((await stored).status).toBe(200);
    const fetched = await send(agent, 'GET', key);
    expect(fetched.status).toBe(200);
    expect(fetched.body.length).toBe(size);
    expect(createHash('sha256').update(fetched.body).digest('hex')).toBe(sent.digest('hex'));
  });

  it('fails a request in flight with the exit code when its exec is killed', async () => {
    const agent = agentFor();
    const upload = new PassThrough();
    let socket: ExecStream | undefined;
    const inFlight = send(agent, 'PUT', `/runner-cache/project/1/killed-${randomBytes(4).toString('hex')}`, {
      body: upload,
      headers: { 'Content-Length': 10 * 1024 * 1024 },
      onRequest: (req) =>
        req.on('socket', (stream) => {
          socket = stream as unknown as ExecStream;
        }),
    });
    upload.write(randomBytes(1024 * 1024));
    await waitFor('the request to have its exec', async () => Boolean(socket?.execId), 30_000, 20);
    // Docker reports the process's pid (on this host) a moment after the exec started; 0 before
    // that, and kill(0) would signal this test's own process group.
    let pid = 0;
    await waitFor(
      'the tunnel process to have a pid',
      async () => {
        pid = ((await docker.getExec(socket!.execId).inspect()) as { Pid?: number }).Pid ?? 0;
        return pid > 1;
      },
      30_000,
      20,
    );
    process.kill(pid, 'SIGKILL');
    const failure = await inFlight.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ExecTunnelError);
    expect(failure).toMatchObject({ exitCode: 137, execId: socket!.execId, container: mock!.container });
    expect((failure as Error).message).toMatch(/was killed \(exit code 137, signal 9\)$/);
    // The agent dropped the dead connection: the next request opens a new exec.
    expect((await send(agent, 'GET', '/internal/health', { headers: auth() })).status).toBe(200);
    expect(agent.connectionsOpened).toBe(2);
  });

  it("puts the tunnel's stderr in the error when it cannot reach the mock", async () => {
    const agent = agentFor({ env: { GLCI_MOCK_PORT: '1' } });
    const failure = await send(agent, 'GET', '/internal/health').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExecTunnelError);
    expect(failure).toMatchObject({ exitCode: 1 });
    expect((failure as Error).message).toBe(
      `the tunnel into ${mock!.container} exited with code 1: glci-mock tunnel: 127.0.0.1:1: ECONNREFUSED`,
    );
  });

  it('ends the exec cleanly when the mock closes the connection, and opens a new one for the next request', async () => {
    const agent = agentFor();
    const closing = await send(agent, 'GET', '/internal/health', {
      headers: { ...auth(), Connection: 'close' },
    });
    expect(closing.status).toBe(200);
    await waitFor('the tunnel to exit 0', async () => exitedCleanly(closing.execId), 30_000, 50);
    const next = await send(agent, 'GET', '/internal/health', { headers: auth() });
    expect(next.status).toBe(200);
    expect(next.execId).not.toBe(closing.execId);
    expect(agent.connectionsOpened).toBe(2);
  });

  it('closes both directions when the client drops a connection: idle timeout, agent destroyed', async () => {
    const idle = createExecAgent({
      docker,
      container: mock!.container,
      command: MOCK_TUNNEL_COMMAND,
      logger: createSilentLogger(),
      timeout: 300,
    });
    onTestFinished(() => idle.destroy());
    const first = await send(idle, 'GET', '/internal/health', { headers: auth() });
    // The agent times the free connection out and destroys it: the exec's stdin closes, it exits 0.
    await waitFor('the idle tunnel to exit 0', async () => exitedCleanly(first.execId), 30_000, 50);
    const agent = agentFor({ maxSockets: 3 });
    const responses = await Promise.all(
      Array.from({ length: 3 }, () => send(agent, 'GET', '/internal/health', { headers: auth() })),
    );
    agent.destroy();
    for (const { execId } of responses) {
      await waitFor(`exec ${execId.slice(0, 12)} to exit 0`, async () => exitedCleanly(execId), 30_000, 50);
    }
  });

  async function exitedCleanly(execId: string): Promise<boolean> {
    const state = await docker.getExec(execId).inspect();
    return !state.Running && state.ExitCode === 0;
  }
});
