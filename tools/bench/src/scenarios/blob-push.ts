import { type BenchContext, formatBytes, MiB, type ScenarioGroup } from '../scenario.js';

/** Rows: monolithic push and chunked push of one large blob (a fresh blob for every run). */
export function blobPushScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  const sizeOf = (warmup: boolean) => (warmup ? sizes.warmupBlob : sizes.blob);
  return {
    id: 'blob-push',
    rows: [
      {
        id: 'push-monolithic',
        title: `monolithic push, ${formatBytes(sizes.blob)} blob`,
        unit: 'MiB/s',
        better: 'higher',
        target: 1.25,
        rssTarget: 200 * MiB,
        async measure(side, run) {
          const blob = context.blob(sizeOf(run.warmup));
          void blob.digest; // computed before the clock starts
          const seconds = await run.timed(() => side.client.pushMonolithic('bench/push-monolithic', blob));
          return blob.size / MiB / seconds;
        },
      },
      {
        id: 'push-chunked',
        title: `chunked push, ${formatBytes(sizes.blob)} in ${formatBytes(sizes.chunk)} chunks`,
        unit: 'MiB/s',
        better: 'higher',
        target: 1.25,
        rssTarget: 200 * MiB,
        async measure(side, run) {
          const blob = context.blob(sizeOf(run.warmup));
          void blob.digest;
          const seconds = await run.timed(() =>
            side.client.pushChunked('bench/push-chunked', blob, sizes.chunk),
          );
          return blob.size / MiB / seconds;
        },
      },
    ],
  };
}
