import { randomBytes } from 'node:crypto';
import { distributionS3StorageConfig, type RunningS3, startDistribution, startS3 } from '@glci/testkit';
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, RegistryClient } from '../registry-client.js';
import { GLCI_CLI, glciLauncher, type RegistryUnderTest } from '../registry-under-test.js';
import { RssProbe } from '../rss.js';
import { type BenchContext, formatBytes, MiB, type Run, type ScenarioGroup, type Side } from '../scenario.js';

const REPO = 'bench/s3';
/** Peak RSS target of the glci node during the large push. */
const RSS_TARGET = 200 * MiB;

/**
 * Rows: the registries on S3 storage. Every run starts a fresh S3 server (versitygw on loopback,
 * the one the tests use), one bucket, and the side's registry on it — distribution 2.8.2 with its
 * own S3 driver (aws-sdk-go), glci with `--storage s3://bucket/...` (AWS SDK v3) — so both sides
 * talk to the same kind of store in the same run. Rows: monolithic push and pull of the large
 * blob, and push then pull of a multi-layer image. The harness samples RSS of the side's
 * filesystem registry, so the S3 node's own peak RSS is sampled here and printed as a progress
 * line (`s3 glci: peak RSS ... during ...`), with the 200 MiB target.
 */
export function s3Scenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  const sizeOf = (run: Run) => (run.warmup ? sizes.warmupBlob : sizes.blob);

  /** Times `work` on an S3-backed registry, sampling that registry's RSS. */
  const timedOn = async (run: Run, node: S3Node, what: string, work: () => Promise<void>) => {
    const probe = new RssProbe(node.registry.pid);
    let seconds: number;
    try {
      seconds = await run.timed(work);
    } finally {
      const peak = probe.stop();
      const verdict = node.glci
        ? ` (target < ${formatBytes(RSS_TARGET)}: ${peak < RSS_TARGET ? 'PASS' : 'MISS'})`
        : '';
      context.progress(`s3 ${node.registry.name}: peak RSS ${formatBytes(peak)} during ${what}${verdict}`);
    }
    return seconds;
  };

  return {
    id: 's3',
    rows: [
      {
        id: 's3-push',
        title: `S3 storage: monolithic push, ${formatBytes(sizes.blob)} blob`,
        unit: 'MiB/s',
        better: 'higher',
        target: 1.25,
        async measure(side, run) {
          await using node = await startS3Node(side);
          const blob = context.blob(sizeOf(run));
          void blob.digest; // computed before the clock starts
          const seconds = await timedOn(run, node, `a ${formatBytes(blob.size)} push`, () =>
            node.client.pushMonolithic(`${REPO}/push`, blob),
          );
          return blob.size / MiB / seconds;
        },
      },
      {
        id: 's3-pull',
        title: `S3 storage: pull, ${formatBytes(sizes.blob)} blob`,
        unit: 'MiB/s',
        better: 'higher',
        target: 1.25,
        async measure(side, run) {
          await using node = await startS3Node(side);
          const blob = context.blob(sizeOf(run));
          await node.client.pushMonolithic(`${REPO}/pull`, blob);
          let bytes = 0;
          const seconds = await timedOn(run, node, `a ${formatBytes(blob.size)} pull`, async () => {
            bytes = await node.client.pullBlob(`${REPO}/pull`, blob.digest);
          });
          if (bytes !== blob.size) throw new Error(`pulled ${bytes} of ${blob.size} bytes`);
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
          await using node = await startS3Node(side);
          const layers = Array.from({ length: sizes.dockerLayers }, () =>
            randomBytes(sizes.dockerLayerBytes),
          );
          const config = Buffer.from(
            JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
          );
          return await timedOn(run, node, 'an image push and pull', async () => {
            // Layers three at a time, like dockerd, then the manifest; the pull mirrors it.
            const digests = await inParallel(layers, (layer) =>
              node.client.pushBytes(`${REPO}/image`, layer),
            );
            const configDigest = await node.client.pushBytes(`${REPO}/image`, config);
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
            await node.client.putManifest(`${REPO}/image`, 'latest', manifest, OCI_MANIFEST);
            await node.client.request('GET', `/v2/${REPO}/image/manifests/latest`, {
              headers: { accept: OCI_MANIFEST },
              expect: [200],
            });
            await inParallel([configDigest, ...digests], (digest) =>
              node.client.pullBlob(`${REPO}/image`, digest, { verify: true }),
            );
          });
        },
      },
    ],
  };
}

interface S3Node extends AsyncDisposable {
  readonly registry: RegistryUnderTest;
  readonly client: RegistryClient;
  readonly glci: boolean;
}

/** A fresh S3 server and bucket, and the side's kind of registry on it. */
async function startS3Node(side: Side): Promise<S3Node> {
  const s3 = await startS3();
  let registry: RegistryUnderTest | undefined;
  try {
    const bucket = await s3.createBucket();
    const glci = !side.registry.name.startsWith('distribution');
    registry = glci
      ? await startGlci(side.registry.name, s3, bucket)
      : await startDistributionOnS3(side.registry.name, s3, bucket);
    const client = new RegistryClient(registry.url, { connections: 4 });
    const started = registry;
    return {
      registry: started,
      client,
      glci,
      async [Symbol.asyncDispose]() {
        await client.close();
        await started.stop();
        await s3.stop();
      },
    };
  } catch (error) {
    await registry?.stop();
    await s3.stop();
    throw error;
  }
}

async function startGlci(name: string, s3: RunningS3, bucket: string): Promise<RegistryUnderTest> {
  const url = `s3://${bucket}/glci?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&path_style=true`;
  return await glciLauncher({
    cliPath: GLCI_CLI,
    name,
    extraArgs: ['--storage', url],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
  }).start();
}

async function startDistributionOnS3(
  name: string,
  s3: RunningS3,
  bucket: string,
): Promise<RegistryUnderTest> {
  const registry = await startDistribution({
    storageConfig: distributionS3StorageConfig(s3, bucket, '/distribution'),
    // distribution's S3 driver refuses to start with this machine's AWS_CA_BUNDLE (ENVIRONMENT.md).
    env: { AWS_CA_BUNDLE: undefined },
  });
  return {
    name,
    url: registry.url,
    host: registry.host,
    pid: registry.process.child.pid ?? 0,
    storageDirectory: s3.dataDirectory,
    output: () => registry.process.output(),
    stop: () => registry.stop(),
    [Symbol.asyncDispose]: () => registry.stop(),
  };
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
