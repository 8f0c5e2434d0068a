/**
 * Measures what a connection through `docker exec` costs, for the README:
 *
 *   node --import tsx --conditions=source packages/docker/src/test-support/measure-exec-tunnel.ts \
 *     <mock container> <internal secret> [runs]
 *
 * Per transport (unix socket, tcp://127.0.0.1:2375): the time of a request on a new connection
 * (exec create + start + the tunnel process starting + the request), of a request on a kept-alive
 * one, and the throughput of a 64 MiB GET; the same over plain TCP to the container's bridge IP
 * as the baseline. Prints medians.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createSilentLogger } from '@glci/config';
import Docker from 'dockerode';
import { dockerodeOptions } from '../connection.js';
import { createExecAgent } from '../exec-tunnel/exec-agent.js';
import { MOCK_TUNNEL_COMMAND } from '../mock-container.js';

const [container, secret, runsText = '15'] = process.argv.slice(2);
if (!container || !secret)
  throw new Error('usage: measure-exec-tunnel.ts <mock container> <internal secret> [runs]');
const runs = Number(runsText);

function timed(
  agent: Agent,
  method: string,
  path: string,
  options: { host?: string; port?: number; body?: Buffer } = {},
) {
  return new Promise<{ ms: number; bytes: number; status: number }>((resolve, reject) => {
    const start = performance.now();
    const req = request(
      {
        host: options.host ?? 'glci-mock',
        port: options.port ?? 80,
        method,
        path,
        agent,
        headers: { Authorization: `Bearer ${secret}` },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ ms: performance.now() - start, bytes, status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(label: string, makeAgent: () => Agent, target: { host?: string; port?: number }) {
  const fresh: number[] = [];
  for (let index = 0; index < runs; index++) {
    const agent = makeAgent();
    fresh.push((await timed(agent, 'GET', '/internal/health', target)).ms);
    agent.destroy();
  }
  const agent = makeAgent();
  await timed(agent, 'GET', '/internal/health', target);
  const reused: number[] = [];
  for (let index = 0; index < runs; index++)
    reused.push((await timed(agent, 'GET', '/internal/health', target)).ms);
  const key = `/runner-cache/project/1/measure-${randomBytes(4).toString('hex')}`;
  // Each run stores 64 MiB in the mock's cache (500 MB by default): use a fresh container.
  const stored = await timed(agent, 'PUT', key, { ...target, body: randomBytes(64 * 1024 * 1024) });
  if (stored.status !== 200) throw new Error(`storing the 64 MiB object answered ${stored.status}`);
  const throughput: number[] = [];
  for (let index = 0; index < 3; index++) {
    const { ms, bytes, status } = await timed(agent, 'GET', key, target);
    if (status !== 200 || bytes !== 64 * 1024 * 1024)
      throw new Error(`reading it back answered ${status} with ${bytes} bytes`);
    throughput.push(bytes / 1024 / 1024 / (ms / 1000));
  }
  agent.destroy();
  console.log(
    `${label.padEnd(28)} new connection ${median(fresh).toFixed(1).padStart(7)} ms   kept alive ${median(reused).toFixed(2).padStart(6)} ms   64 MiB GET ${median(throughput).toFixed(0).padStart(5)} MiB/s`,
  );
}

const logger = createSilentLogger();
for (const host of ['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375']) {
  const docker = new Docker(dockerodeOptions({ host, source: 'config' }, {}));
  await measure(
    `docker exec over ${host.split(':')[0]}`,
    () => createExecAgent({ docker, container, command: MOCK_TUNNEL_COMMAND, logger }),
    {},
  );
}
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const info = await docker.getContainer(container).inspect();
const ip = info.NetworkSettings.IPAddress;
const port = Number(
  info.Config.Env.find((entry) => entry.startsWith('GLCI_MOCK_PORT='))?.split('=')[1] ?? 39741,
);
await measure('plain TCP to the bridge IP', () => new Agent({ keepAlive: true }), { host: ip, port });
