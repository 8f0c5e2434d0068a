import { randomBytes } from 'node:crypto';
import { crane, startCraneRegistry } from '@glci/testkit';
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, RegistryClient } from '../registry-client.js';
import { type BenchContext, formatBytes, type ScenarioGroup } from '../scenario.js';

/**
 * Row: `crane copy` of a multi-layer image into the registry under test and back out of it. The
 * other ends are two registries that are neither side (crane's own, content in memory, fresh for
 * every run: one to copy from, one to copy to, since a destination that holds a blob already skips
 * it), so they cost both sides the same. Every run copies `IMAGES_PER_RUN` fresh images one after
 * the other (the value is the mean per image), each pushed to the source untimed: the docker row's
 * shape (as many layers of as many random bytes, without the busybox base), so no blob is already
 * in the registry under test.
 *
 * Why this row next to `docker push + pull`: dockerd's compressing, extracting and registering
 * layers is most of that row's time, the same on both sides; crane only moves blobs (several at
 * once, digests verified), so the registry's own speed shows.
 */
/**
 * Images copied per run, the row's value being the mean: one copy in and out takes about 0.3 s
 * here, where a stray fsync or scheduling delay on a busy machine is a large part of one run.
 */
const IMAGES_PER_RUN = 3;

export function craneScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  let counter = 0;
  return {
    id: 'crane',
    rows: [
      {
        id: 'crane-copy',
        title: `crane copy in + out, ${sizes.dockerLayers} layers of ${formatBytes(sizes.dockerLayerBytes)}`,
        unit: 's',
        better: 'lower',
        target: 1.25,
        async measure(side, run) {
          // Fresh ends per run: a destination that held the blobs already would skip them.
          await using source = await startCraneRegistry();
          await using destination = await startCraneRegistry();
          await using client = new RegistryClient(source.url);
          let seconds = 0;
          for (let image = 0; image < IMAGES_PER_RUN; image++) {
            const name = `bench/crane-${process.pid}-${counter++}`;
            await pushImage(client, name, sizes.dockerLayers, sizes.dockerLayerBytes);
            seconds += await run.timed(async () => {
              await crane(['copy', `${source.host}/${name}:1`, `${side.registry.host}/${name}:1`], {
                timeoutMs: 600_000,
              });
            });
            seconds += await run.timed(async () => {
              await crane(['copy', `${side.registry.host}/${name}:1`, `${destination.host}/${name}:1`], {
                timeoutMs: 600_000,
              });
            });
          }
          return seconds / IMAGES_PER_RUN;
        },
      },
    ],
  };
}

/** Pushes an image of `layers` random layers of `bytes` each, and a config, tagged `1`. */
async function pushImage(client: RegistryClient, name: string, layers: number, bytes: number): Promise<void> {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const contents = Array.from({ length: layers }, () => randomBytes(bytes));
  const digests: string[] = [];
  for (const content of contents) digests.push(await client.pushBytes(name, content));
  const configDigest = await client.pushBytes(name, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    layers: digests.map((digest, index) => ({
      mediaType: OCI_LAYER,
      digest,
      size: contents[index]?.length ?? 0,
    })),
  };
  await client.putManifest(name, '1', Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
}
