import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImages, run as runCommand } from '@glci/testkit';
import { type BenchContext, formatBytes, type ScenarioGroup } from '../scenario.js';

/** Label on every image the benchmark builds, to find leftovers: `docker images -f label=dev.glci.bench`. */
export const BENCH_LABEL = 'dev.glci.bench';

/**
 * Row: `docker push` then `docker pull` of a multi-layer image through the real docker CLI and
 * daemon. Every run builds a fresh image (random bytes in each layer, untimed) tagged straight to the
 * registry under test, pushes it, removes it from the daemon so its layers are gone, and pulls it
 * back; the value is push time plus pull time. Only the shared base layer stays in the daemon.
 */
export function dockerScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  let base = '';
  let counter = 0;
  return {
    id: 'docker',
    async prepare() {
      base ||= (await ensureTestImages()).busybox;
    },
    rows: [
      {
        id: 'docker-push-pull',
        title: `docker push + pull, ${sizes.dockerLayers} layers of ${formatBytes(sizes.dockerLayerBytes)}`,
        unit: 's',
        better: 'lower',
        // dockerd's compressing and extracting is most of this row, the same on both sides: parity
        // is the bar here, and the crane row measures the registries' part.
        target: 1.0,
        warmup: !sizes.quick,
        async measure(side, run) {
          const tag = `${side.registry.host}/${imagePrefix(process.pid)}${Date.now()}-${counter++}:1`;
          const work = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-image-'));
          try {
            // A label unique to this build and --no-cache: no step is shared with another build
            // (a concurrent run's `docker rmi` could remove a shared cached step mid-build).
            const lines = [`FROM ${base}`, `LABEL ${BENCH_LABEL}="${tag}"`];
            for (let layer = 0; layer < sizes.dockerLayers; layer++) {
              writeFileSync(path.join(work, `layer-${layer}.bin`), randomBytes(sizes.dockerLayerBytes));
              lines.push(`COPY layer-${layer}.bin /bench/layer-${layer}.bin`);
            }
            writeFileSync(path.join(work, 'Dockerfile'), `${lines.join('\n')}\n`);
            await runCommand(
              'env',
              ['DOCKER_BUILDKIT=0', 'docker', 'build', '--no-cache', '-q', '-t', tag, work],
              {
                timeoutMs: 300_000,
              },
            );
            const push = await run.timed(async () => {
              await runCommand('docker', ['push', tag], { timeoutMs: 600_000 });
            });
            await runCommand('docker', ['rmi', tag]);
            const pull = await run.timed(async () => {
              await runCommand('docker', ['pull', tag], { timeoutMs: 600_000 });
            });
            return push + pull;
          } finally {
            await runCommand('docker', ['rmi', '--force', tag]).catch(() => undefined);
            rmSync(work, { recursive: true, force: true });
          }
        },
      },
    ],
  };
}

/** Image names this process builds: `<registry>/glci-bench/e2e-<pid>-<time>-<n>:1`. */
function imagePrefix(pid: number): string {
  return `glci-bench/e2e-${pid}-`;
}

/** Removes the images a (possibly interrupted) run of process `pid` left behind. */
export async function removeBenchImages(pid: number): Promise<void> {
  const listing = await runCommand('docker', [
    'images',
    '--filter',
    `label=${BENCH_LABEL}`,
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]).catch(() => '');
  const ours = listing.split('\n').filter((name) => name.includes(`/${imagePrefix(pid)}`));
  if (ours.length > 0) await runCommand('docker', ['rmi', '--force', ...ours]).catch(() => undefined);
}
