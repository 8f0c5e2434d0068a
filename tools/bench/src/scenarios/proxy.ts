import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningDistribution, startDistribution } from '@glci/testkit';
import { RegistryClient, RegistryRequestError } from '../registry-client.js';
import { GLCI_CLI, glciLauncher, type RegistryUnderTest } from '../registry-under-test.js';
import { type BenchContext, formatBytes, type ScenarioGroup, type Side } from '../scenario.js';

const REPO = 'bench/proxied';
const TAG = '1';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONCURRENT_PULLS = 20;
const CACHED_PULLS = 100;

/**
 * Rows: pull-through caching. One CNCF distribution holds a multi-layer image (the upstream, behind
 * a counting forwarder); each side runs in proxy mode in front of it — distribution 2.8.2 with
 * `proxy.remoteurl`, glci with `registry serve --upstream` — started fresh (empty cache) for every
 * run. Rows: a cold pull, a warm pull, 20 concurrent cold pulls of the same image, and 100 pulls of
 * the cached tag. Bytes and requests each side caused upstream are printed as progress lines (the
 * report's units are times), e.g. `proxy glci: 20 concurrent cold pulls fetched 24.0 MiB in 7
 * upstream requests`.
 */
export function proxyScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  let upstream: Upstream | undefined;
  /** Blob GETs retried after a 5xx since the last progress line. */
  const retries = { count: 0 };

  const fresh = async (side: Side): Promise<ProxySide> => {
    upstream ??= await startUpstream(context, sizes.dockerLayers, sizes.dockerLayerBytes);
    const registry = await startProxy(side, upstream.url);
    const client = new RegistryClient(registry.url, { connections: CONCURRENT_PULLS });
    return {
      registry,
      client,
      async [Symbol.asyncDispose]() {
        await client.close();
        await registry.stop();
      },
    };
  };
  const report = (side: Side, what: string) => {
    const counted = upstream!.take();
    const retried = retries.count;
    retries.count = 0;
    context.progress(
      `proxy ${side.registry.name}: ${what} fetched ${formatBytes(counted.bytes)} in ${counted.requests} upstream requests (${counted.heads} HEAD, ${counted.blobGets} blob GETs)${retried > 0 ? `; ${retried} blob GETs retried after a 5xx` : ''}`,
    );
  };

  return {
    id: 'proxy',
    rows: [
      {
        id: 'proxy-cold-pull',
        title: `pull-through cold pull, ${sizes.dockerLayers} layers of ${formatBytes(sizes.dockerLayerBytes)}`,
        unit: 's',
        better: 'lower',
        target: 1.0,
        async measure(side, run) {
          await using proxy = await fresh(side);
          upstream!.take();
          const seconds = await run.timed(() => pullImage(proxy.client, retries));
          report(side, 'a cold pull');
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
          await using proxy = await fresh(side);
          await pullImage(proxy.client, retries);
          upstream!.take();
          const seconds = await run.timed(() => pullImage(proxy.client, retries));
          report(side, 'a warm pull');
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
          await using proxy = await fresh(side);
          upstream!.take();
          const seconds = await run.timed(async () => {
            await Promise.all(
              Array.from({ length: CONCURRENT_PULLS }, () => pullImage(proxy.client, retries)),
            );
          });
          report(side, `${CONCURRENT_PULLS} concurrent cold pulls`);
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
          await using proxy = await fresh(side);
          await pullImage(proxy.client, retries);
          upstream!.take();
          const seconds = await run.timed(async () => {
            for (let pull = 0; pull < CACHED_PULLS; pull++) await pullImage(proxy.client, retries);
          });
          report(side, `${CACHED_PULLS} pulls of the cached tag`);
          return seconds;
        },
      },
    ],
  };
}

interface ProxySide extends AsyncDisposable {
  readonly registry: RegistryUnderTest;
  readonly client: RegistryClient;
}

/** The side's registry kind, in proxy mode in front of `upstreamUrl`, with an empty cache. */
async function startProxy(side: Side, upstreamUrl: string): Promise<RegistryUnderTest> {
  if (side.registry.name.startsWith('distribution')) {
    const registry: RunningDistribution = await startDistribution({
      extraConfig: `proxy:\n  remoteurl: ${upstreamUrl}\n`,
    });
    return {
      name: side.registry.name,
      url: registry.url,
      host: registry.host,
      pid: registry.process.child.pid ?? 0,
      storageDirectory: registry.rootDirectory,
      output: () => registry.process.output(),
      stop: () => registry.stop(),
      [Symbol.asyncDispose]: () => registry.stop(),
    };
  }
  return await glciLauncher({
    cliPath: GLCI_CLI,
    name: side.registry.name,
    extraArgs: ['--upstream', upstreamUrl],
  }).start();
}

/** A client pull: the manifest by tag, then config and layers, three at a time like dockerd. */
async function pullImage(client: RegistryClient, retries: { count: number }): Promise<void> {
  const manifest = await client.request('GET', `/v2/${REPO}/manifests/${TAG}`, {
    headers: { accept: MANIFEST_TYPE },
    expect: [200],
  });
  const parsed = JSON.parse(manifest.text) as { config: { digest: string }; layers: { digest: string }[] };
  const digests = [parsed.config.digest, ...parsed.layers.map((layer) => layer.digest)];
  const queue = [...digests];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let digest = queue.shift(); digest; digest = queue.shift()) {
        // Like dockerd, retry a layer that failed with a 5xx (distribution's proxy answers 500
        // to some concurrent cold pulls); each retry is counted and printed.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.request('GET', `/v2/${REPO}/blobs/${digest}`, { expect: [200], drop: true });
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
  /** Counts since the last call: requests, HEADs, blob GETs, response bytes. */
  take(): { requests: number; heads: number; blobGets: number; bytes: number };
}

/** A distribution holding `bench/proxied:1` (random layers), behind a forwarder that counts. */
async function startUpstream(context: BenchContext, layers: number, layerBytes: number): Promise<Upstream> {
  const registry = await startDistribution();
  const client = new RegistryClient(registry.url);
  const descriptors = [];
  for (let layer = 0; layer < layers; layer++) {
    const bytes = randomBytes(layerBytes);
    descriptors.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: await client.pushBytes(REPO, bytes),
      size: bytes.length,
    });
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
  );
  const configDigest = await client.pushBytes(REPO, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: descriptors,
    }),
  );
  await client.putManifest(REPO, TAG, manifest, MANIFEST_TYPE);
  await client.close();
  context.progress(
    `proxy upstream: ${registry.url} holds ${REPO}:${TAG} (${layers} layers, sha256:${createHash('sha256').update(manifest).digest('hex').slice(0, 12)}…)`,
  );

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
  process.once('exit', () => {
    server.close();
    void registry.stop();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const taken = counts;
      counts = { requests: 0, heads: 0, blobGets: 0, bytes: 0 };
      return taken;
    },
  };
}
