import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3StorageDriver } from '@glci/registry';
import { distributionS3StorageConfig, type RunningS3, startS3 } from '@glci/testkit';
import type { BlobSource } from '../blob-source.js';
import { nodeCacheControl } from '../node-cache-control.js';
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, type RegistryClient } from '../registry-client.js';
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
  MiB,
  type Run,
  type ScenarioGroup,
  type SideLaunchers,
} from '../scenario.js';

const REPO = 'bench/s3';

/**
 * Rows on S3 storage. Each side runs on its own fresh S3 server (versitygw on loopback, the one the
 * tests use) and bucket: distribution 2.8.2 with its own S3 driver (aws-sdk-go), glci with
 * `registry serve --storage s3://bucket/...` (AWS SDK v3), so both talk to the same kind of store in
 * the same run. Two groups, so that `--only s3-push` does not pay for the pull row's upload:
 *
 * - `s3-push`: monolithic push of a 256 MiB blob (`s3PushBlob`; peak RSS of the glci node checked against
 *   200 MiB), and push-then-pull of a multi-layer image; the glci node has no local cache here
 *   (with one, every push is read back once in the background);
 * - `s3-pull`: pulls of the large blob, pushed and verified once beforehand, from a glci node
 *   with its node-local blob cache (`local_cache_dir=`): `s3-pull` with the cache emptied before
 *   every run (a cold node: the relay from S3), `s3-pull-hot` with the blob in it. Each glci run
 *   checks through `/metrics` that it was the miss or the hit it claims, and waits for the
 *   background fill a miss starts, so that no timed run of either side overlaps one.
 */
export function s3Scenarios(context: BenchContext): ScenarioGroup[] {
  const { sizes } = context;
  const sizeOf = (run: Run) => (run.warmup ? sizes.warmupBlob : sizes.s3PushBlob);
  let pulled: BlobSource | undefined;
  return [
    {
      id: 's3-push',
      launchers: onS3,
      rows: [
        {
          id: 's3-push',
          title: `S3 storage: monolithic push, ${formatBytes(sizes.s3PushBlob)} blob`,
          unit: 'MiB/s',
          better: 'higher',
          target: 1.25,
          rssTarget: 200 * MiB,
          async measure(side, run) {
            const blob = context.blob(sizeOf(run));
            void blob.digest; // computed before the clock starts
            const seconds = await run.timed(() => side.client.pushMonolithic(`${REPO}/push`, blob));
            return blob.size / MiB / seconds;
          },
        },
        {
          id: 's3-image',
          title: `S3 storage: push then pull of a ${sizes.dockerLayers}-layer image (${formatBytes(sizes.dockerLayerBytes)} layers)`,
          unit: 's',
          better: 'lower',
          target: 1.25,
          async measure(side, run) {
            const repo = `${REPO}/image-${run.index}${run.warmup ? '-warmup' : ''}`;
            const layers = Array.from({ length: sizes.dockerLayers }, () =>
              randomBytes(sizes.dockerLayerBytes),
            );
            const config = Buffer.from(
              JSON.stringify({
                architecture: 'amd64',
                os: 'linux',
                rootfs: { type: 'layers', diff_ids: [] },
              }),
            );
            return await run.timed(async () => {
              // Layers three at a time, like dockerd, then the manifest; the pull mirrors it.
              const digests = await inParallel(layers, (layer) => side.client.pushBytes(repo, layer));
              const configDigest = await side.client.pushBytes(repo, config);
              const manifest = Buffer.from(
                JSON.stringify({
                  schemaVersion: 2,
                  mediaType: OCI_MANIFEST,
                  config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
                  layers: digests.map((digest, index) => ({
                    mediaType: OCI_LAYER,
                    digest,
                    size: layers[index]!.length,
                  })),
                }),
              );
              await side.client.putManifest(repo, 'latest', manifest, OCI_MANIFEST);
              await side.client.request('GET', `/v2/${repo}/manifests/latest`, {
                headers: { accept: OCI_MANIFEST },
                expect: [200],
              });
              await inParallel([configDigest, ...digests], (digest) =>
                side.client.pullBlob(repo, digest, { verify: true }),
              );
            });
          },
        },
      ],
    },
    {
      id: 's3-pull',
      launchers: (run) => onS3(run, { nodeCache: true }),
      async prepare(side) {
        pulled ??= context.blob(sizes.blob);
        if (side.registry.seedBlob) await side.registry.seedBlob(`${REPO}/pull`, pulled);
        else await side.client.pushMonolithic(`${REPO}/pull`, pulled);
        const bytes = await side.client.pullBlob(`${REPO}/pull`, pulled.digest, { verify: true });
        if (bytes !== pulled.size)
          throw new Error(`${side.registry.name} returned ${bytes} of ${pulled.size} bytes`);
      },
      rows: [
        {
          id: 's3-pull',
          title: `S3 storage: pull, ${formatBytes(sizes.blob)} blob (relay; node cache cold)`,
          unit: 'MiB/s',
          better: 'higher',
          // What a relay in Node can reach against Go's splice(2) (see the README): a node with the
          // blob on its own disk is the next row.
          target: 0.8,
          rssTarget: 200 * MiB,
          async measure(side, run) {
            const source = pulled;
            if (!source) throw new Error('s3-pull was not prepared');
            const cache = side.registry.nodeCache;
            await cache?.settle();
            await cache?.clear();
            const before = await cache?.stats();
            const value = await timedPull(side.client, source, run);
            if (cache && before) {
              const after = await cache.stats();
              if (after.misses !== before.misses + 1 || after.hits !== before.hits) {
                throw new Error(
                  `the pull was not a miss of the node cache (${JSON.stringify({ before, after })})`,
                );
              }
              await cache.settle();
            }
            return value;
          },
        },
        {
          id: 's3-pull-hot',
          title: `S3 storage: pull, ${formatBytes(sizes.blob)} blob, hot (glci: node cache)`,
          unit: 'MiB/s',
          better: 'higher',
          target: 1.25,
          rssTarget: 200 * MiB,
          async measure(side, run) {
            const source = pulled;
            if (!source) throw new Error('s3-pull was not prepared');
            const cache = side.registry.nodeCache;
            if (cache) {
              await cache.settle();
              if ((await cache.stats()).entries === 0) {
                // Not cached yet (e.g. this row alone after the cold one emptied it): one read fills it.
                await side.client.pullBlob(`${REPO}/pull`, source.digest);
                await cache.settle();
              }
            }
            const before = await cache?.stats();
            const value = await timedPull(side.client, source, run);
            if (cache && before) {
              const after = await cache.stats();
              if (after.hits !== before.hits + 1 || after.misses !== before.misses) {
                throw new Error(
                  `the pull was not a hit of the node cache (${JSON.stringify({ before, after })})`,
                );
              }
            }
            return value;
          },
        },
      ],
    },
  ];
}

/**
 * The run's two sides, each on a fresh S3 server: distribution's S3 driver, or glci's (with its
 * node-local blob cache when `nodeCache`).
 */
function onS3(run: SideLaunchers, options: { nodeCache?: boolean } = {}): SideLaunchers {
  const on = (launcher: RegistryLauncher): RegistryLauncher =>
    launcher.name.startsWith('distribution')
      ? distributionOnS3(launcher.name)
      : glciOnS3(launcher.name, options.nodeCache ?? false);
  return { baseline: on(run.baseline), candidate: on(run.candidate) };
}

function glciOnS3(name: string, nodeCache: boolean): RegistryLauncher {
  return {
    name,
    description: `glci registry serve --storage s3://… (AWS SDK v3) on versitygw v1.8.0 (loopback)${nodeCache ? ', node-local cache in the pull rows' : ''}`,
    start: () =>
      withS3(async (s3, bucket) => {
        const cacheDirectory = nodeCache ? mkdtempSync(path.join(os.tmpdir(), 'glci-bench-node-cache-')) : '';
        const cache = nodeCache
          ? `&local_cache_dir=${encodeURIComponent(cacheDirectory)}&local_cache_max_size=4GB`
          : '';
        const storage = `s3://${bucket}/glci?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&path_style=true${cache}`;
        let registry: RegistryUnderTest;
        try {
          registry = await glciLauncher({
            cliPath: GLCI_CLI,
            name,
            extraArgs: ['--storage', storage],
            env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
          }).start();
        } catch (error) {
          if (cacheDirectory) rmSync(cacheDirectory, { recursive: true, force: true });
          throw error;
        }
        if (!cacheDirectory) return registry;
        const stop = async () => {
          await registry.stop();
          rmSync(cacheDirectory, { recursive: true, force: true });
        };
        return {
          ...registry,
          output: () => registry.output(),
          nodeCache: nodeCacheControl(registry.url, cacheDirectory),
          stop,
          [Symbol.asyncDispose]: stop,
        };
      }),
  };
}

/** One timed GET of the whole blob; MiB/s. */
async function timedPull(client: RegistryClient, source: BlobSource, run: Run): Promise<number> {
  let bytes = 0;
  const seconds = await run.timed(async () => {
    bytes = await client.pullBlob(`${REPO}/pull`, source.digest);
  });
  if (bytes !== source.size) throw new Error(`pulled ${bytes} of ${source.size} bytes`);
  return bytes / MiB / seconds;
}

function distributionOnS3(name: string): RegistryLauncher {
  return {
    name,
    description: 'CNCF distribution 2.8.2 with its S3 driver (aws-sdk-go) on versitygw v1.8.0 (loopback)',
    start: () =>
      withS3(async (s3, bucket) => {
        const registry = await startDistributionUnderTest(
          name,
          {
            storageConfig: distributionS3StorageConfig(s3, bucket, '/distribution'),
            // distribution's S3 driver refuses to start with this machine's AWS_CA_BUNDLE (ENVIRONMENT.md).
            env: { AWS_CA_BUNDLE: undefined },
          },
          s3.dataDirectory,
        );
        return {
          ...registry,
          seedBlob: (repository, blob) => seedDistributionBlob(s3, bucket, repository, blob),
        };
      }),
  };
}

/**
 * Writes `blob` into distribution's bucket as its own push would leave it: the data at
 * `docker/registry/v2/blobs/sha256/<2>/<hex>/data` and the repository's layer link holding the
 * digest, under the `/distribution` root. Why: distribution 2.8.2 pushes to this S3 server at about
 * 8 MiB/s, two minutes per GiB, which the pull rows' set-up need not spend (the push rows measure
 * it); written here through glci's S3 driver it takes seconds. The set-up then pulls the blob back
 * through distribution and checks every byte, so a wrong layout fails the row.
 */
async function seedDistributionBlob(
  s3: RunningS3,
  bucket: string,
  repository: string,
  blob: BlobSource,
): Promise<void> {
  const driver = new S3StorageDriver({
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    prefix: 'distribution',
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const hex = blob.digest.slice('sha256:'.length);
    const root = '/docker/registry/v2';
    const writer = await driver.writer(`${root}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    for (const block of blob.blocks()) await writer.write(block);
    await writer.commit();
    await driver.putContent(
      `${root}/repositories/${repository}/_layers/sha256/${hex}/link`,
      Buffer.from(blob.digest),
    );
  } finally {
    await driver.close();
  }
}

/** Starts an S3 server and a bucket, then the registry on them; stopping the registry stops the server. */
async function withS3(
  start: (s3: RunningS3, bucket: string) => Promise<RegistryUnderTest>,
): Promise<RegistryUnderTest> {
  const s3 = await startS3();
  let registry: RegistryUnderTest;
  try {
    registry = await start(s3, await s3.createBucket());
  } catch (error) {
    await s3.stop();
    throw error;
  }
  const stop = async () => {
    await registry.stop();
    await s3.stop();
  };
  return { ...registry, output: () => registry.output(), stop, [Symbol.asyncDispose]: stop };
}

async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>, width = 3): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++)
        results[index] = await work(items[index]!);
    }),
  );
  return results;
}
