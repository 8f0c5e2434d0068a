import type { BlobSource } from '../blob-source.js';
import { type BenchContext, formatBytes, MiB, type ScenarioGroup } from '../scenario.js';

const REPO = 'bench/pull';

/** Row: pull of one large blob, pushed (and verified byte for byte) beforehand. */
export function blobPullScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  let blob: BlobSource | undefined;
  return {
    id: 'blob-pull',
    async prepare(side) {
      blob ??= context.blob(sizes.blob);
      await side.client.pushMonolithic(REPO, blob);
      const bytes = await side.client.pullBlob(REPO, blob.digest, { verify: true });
      if (bytes !== blob.size)
        throw new Error(`${side.registry.name} returned ${bytes} of ${blob.size} bytes`);
    },
    rows: [
      {
        id: 'pull',
        title: `blob pull, ${formatBytes(sizes.blob)}`,
        unit: 'MiB/s',
        better: 'higher',
        target: 1.25,
        rssTarget: 200 * MiB,
        async measure(side, run) {
          const source = blob;
          if (!source) throw new Error('blob-pull was not prepared');
          let bytes = 0;
          const seconds = await run.timed(async () => {
            bytes = await side.client.pullBlob(REPO, source.digest);
          });
          if (bytes !== source.size) throw new Error(`pulled ${bytes} of ${source.size} bytes`);
          return bytes / MiB / seconds;
        },
      },
    ],
  };
}
