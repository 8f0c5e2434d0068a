import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDistribution } from '@glci/testkit';
import {
  OCI_CONFIG,
  OCI_LAYER,
  OCI_MANIFEST,
  RegistryClient,
  RegistryRequestError,
} from '../registry-client.js';
import {
  GLCI_CLI,
  glciLauncher,
  type RegistryLauncher,
  type RegistryUnderTest,
  startDistributionUnderTest,
} from '../registry-under-test.js';
import {
  type BenchContext,
  formatBytes,
  type ScenarioGroup,
  type Side,
  type SideLaunchers,
} from '../scenario.js';

const TAG = '1';
const CONCURRENT_PULLS = 20;
const CACHED_PULLS = 100;

/**
 * Rows: pull-through caching. One CNCF distribution is the upstream (behind a forwarder that counts
 * requests and bytes); each side runs in proxy mode in front of it, on the group's own launchers —
 * distribution 2.8.2 with `proxy.remoteurl`, glci with `registry serve --upstream` — so the harness
 * samples the proxies' RSS. Every run pushes a fresh random image to the upstream first (untimed), so
 * "cold" really is cold. Rows: a cold pull, a warm pull, 20 concurrent cold pulls of one image, and
 * 100 pulls of a cached tag. What each side caused upstream is printed as a progress line (the
 * report's units are times), e.g. `proxy glci: 20 concurrent cold pulls fetched 40 MiB in 7 upstream
 * requests (0 HEAD, 6 blob GETs)`.
 */
export function proxyScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  let upstream: Promise<Upstream> | undefined;
  const shared = () => {
    upstream ??= startUpstream();
    return upstream;
  };
  let images = 0;
  /** Blob GETs retried after a 5xx since the last progress line. */
  const retries = { count: 0 };

  const freshImage = async (): Promise<string> => {
    const repository = `bench/proxied-${process.pid}-${images++}`;
    await (await shared()).pushImage(repository, sizes.dockerLayers, sizes.dockerLayerBytes);
    return repository;
  };
  const report = async (side: Side, what: string) => {
    const counted = (await shared()).take();
    const retried = retries.count;
    retries.count = 0;
    context.progress(
      `proxy ${side.registry.name}: ${what} fetched ${formatBytes(counted.bytes)} in ${counted.requests} upstream requests (${counted.heads} HEAD, ${counted.blobGets} blob GETs)${retried > 0 ? `; ${retried} blob GETs retried after a 5xx` : ''}`,
    );
  };
  const proxyLaunchers = (run: SideLaunchers): SideLaunchers => ({
    baseline: distributionProxyLauncher(run.baseline.name, shared),
    candidate: run.candidate.name.startsWith('distribution')
      ? distributionProxyLauncher(run.candidate.name, shared)
      : glciProxyLauncher(run.candidate.name, shared),
  });

  return {
    id: 'proxy',
    launchers: proxyLaunchers,
    async finish() {
      const started = upstream;
      upstream = undefined;
      await (await started?.catch(() => undefined))?.stop();
    },
    rows: [
      {
        id: 'proxy-cold-pull',
        title: `pull-through cold pull, ${sizes.dockerLayers} layers of ${formatBytes(sizes.dockerLayerBytes)}`,
        unit: 's',
        better: 'lower',
        target: 1.0,
        async measure(side, run) {
          const repository = await freshImage();
          (await shared()).take();
          const seconds = await run.timed(() => pullImage(side.client, repository, retries));
          await report(side, 'a cold pull');
          return seconds;
        },
      },
      {
        id: 'proxy-warm-pull',
        title: 'pull-through warm pull (cached image)',
        unit: 's',
        better: 'lower',
        target: 1.25,
        async measure(side, run) {
          const repository = await freshImage();
          await pullImage(side.client, repository, retries);
          (await shared()).take();
          const seconds = await run.timed(() => pullImage(side.client, repository, retries));
          await report(side, 'a warm pull');
          return seconds;
        },
      },
      {
        id: 'proxy-concurrent-cold',
        title: `pull-through, ${CONCURRENT_PULLS} concurrent cold pulls of one image`,
        unit: 's',
        better: 'lower',
        target: 1.0,
        async measure(side, run) {
          const repository = await freshImage();
          (await shared()).take();
          const client = side.connect(CONCURRENT_PULLS);
          const seconds = await run.timed(async () => {
            await Promise.all(
              Array.from({ length: CONCURRENT_PULLS }, () => pullImage(client, repository, retries)),
            );
          });
          await report(side, `${CONCURRENT_PULLS} concurrent cold pulls`);
          return seconds;
        },
      },
      {
        id: 'proxy-cached-tag',
        title: `pull-through, ${CACHED_PULLS} pulls of a cached tag`,
        unit: 's',
        better: 'lower',
        target: 1.25,
        async measure(side, run) {
          const repository = await freshImage();
          await pullImage(side.client, repository, retries);
          (await shared()).take();
          const seconds = await run.timed(async () => {
            for (let pull = 0; pull < CACHED_PULLS; pull++) await pullImage(side.client, repository, retries);
          });
          await report(side, `${CACHED_PULLS} pulls of the cached tag`);
          return seconds;
        },
      },
    ],
  };
}

/** distribution 2.8.2 in proxy mode (`proxy.remoteurl`) in front of the shared upstream. */
function distributionProxyLauncher(name: string, upstream: () => Promise<Upstream>): RegistryLauncher {
  return {
    name,
    description: 'CNCF distribution 2.8.2 (docker-registry) with proxy.remoteurl, filesystem storage',
    async start(): Promise<RegistryUnderTest> {
      const { url } = await upstream();
      return await startDistributionUnderTest(name, { extraConfig: `proxy:\n  remoteurl: ${url}\n` });
    },
  };
}

/** `glci registry serve --upstream <shared upstream>`. */
function glciProxyLauncher(name: string, upstream: () => Promise<Upstream>): RegistryLauncher {
  return {
    name,
    description: 'glci registry serve --upstream, filesystem storage',
    async start() {
      const { url } = await upstream();
      return await glciLauncher({ cliPath: GLCI_CLI, name, extraArgs: ['--upstream', url] }).start();
    },
  };
}

/** A client pull: the manifest by tag, then config and layers, three at a time like dockerd. */
async function pullImage(
  client: RegistryClient,
  repository: string,
  retries: { count: number },
): Promise<void> {
  const manifest = await client.request('GET', `/v2/${repository}/manifests/${TAG}`, {
    headers: { accept: OCI_MANIFEST },
    expect: [200],
  });
  const parsed = JSON.parse(manifest.text) as { config: { digest: string }; layers: { digest: string }[] };
  const queue = [parsed.config.digest, ...parsed.layers.map((layer) => layer.digest)];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let digest = queue.shift(); digest; digest = queue.shift()) {
        // Like dockerd, retry a layer that failed with a 5xx (distribution's proxy answers 500 to
        // some concurrent cold pulls); each retry is counted and printed.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.request('GET', `/v2/${repository}/blobs/${digest}`, { expect: [200], drop: true });
            break;
          } catch (error) {
            if (attempt >= 3 || !(error instanceof RegistryRequestError) || error.status < 500) throw error;
            retries.count += 1;
          }
        }
      }
    }),
  );
}

interface Upstream {
  readonly url: string;
  /** Pushes a fresh random image as `<repository>:1` (straight to the upstream, uncounted). */
  pushImage(repository: string, layers: number, layerBytes: number): Promise<void>;
  /** Counts since the last call: requests, HEADs, blob GETs, response bytes. */
  take(): { requests: number; heads: number; blobGets: number; bytes: number };
  /** Stops the forwarder and the distribution behind it, and removes its storage. */
  stop(): Promise<void>;
}

/** A distribution behind a forwarder that counts what the proxies ask; the group's `finish` stops it. */
async function startUpstream(): Promise<Upstream> {
  const registry = await startDistribution();
  let counts = { requests: 0, heads: 0, blobGets: 0, bytes: 0 };
  const target = new URL(registry.url);
  const server: Server = createServer((req, res) => {
    counts.requests += 1;
    if (req.method === 'HEAD') counts.heads += 1;
    if (req.method === 'GET' && req.url?.includes('/blobs/')) counts.blobGets += 1;
    const forwarded = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          counts.bytes += chunk.length;
        });
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.stop();
    },
    async pushImage(repository, layers, layerBytes) {
      const client = new RegistryClient(registry.url);
      try {
        const descriptors = [];
        for (let layer = 0; layer < layers; layer++) {
          const bytes = randomBytes(layerBytes);
          descriptors.push({
            mediaType: OCI_LAYER,
            digest: await client.pushBytes(repository, bytes),
            size: bytes.length,
          });
        }
        const config = Buffer.from(
          JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
        );
        const configDigest = await client.pushBytes(repository, config);
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
            layers: descriptors,
          }),
        );
        await client.putManifest(repository, TAG, manifest, OCI_MANIFEST);
      } finally {
        await client.close();
      }
    },
    take() {
      const taken = counts;
      counts = { requests: 0, heads: 0, blobGets: 0, bytes: 0 };
      return taken;
    },
  };
}
