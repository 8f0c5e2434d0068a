import { openLoad } from '../load-client.js';
import { MANIFEST_ACCEPT, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST } from '../registry-client.js';
import type { BenchContext, Row, ScenarioGroup, Side } from '../scenario.js';

const REPO = 'bench/manifests';
const TAG = '1';

/** Rows: manifest GET and HEAD by tag, requests per second with N concurrent keep-alive clients. */
export function manifestScenarios(context: BenchContext): ScenarioGroup {
  const { sizes } = context;
  const row = (method: 'GET' | 'HEAD'): Row => ({
    id: `manifest-${method.toLowerCase()}`,
    title: `manifest ${method} by tag, ${sizes.manifestClients} clients`,
    unit: 'req/s',
    better: 'higher',
    target: 3,
    async measure(side, run) {
      const url = new URL(side.registry.url);
      const load = await openLoad({
        host: url.hostname,
        port: Number(url.port),
        method,
        path: `/v2/${REPO}/manifests/${TAG}`,
        headers: { accept: MANIFEST_ACCEPT },
        connections: sizes.manifestClients,
        contentLength: side.state.get('manifestLength') as number,
      });
      try {
        const seconds = run.warmup ? Math.min(1, sizes.manifestSeconds) : sizes.manifestSeconds;
        let requests = 0;
        const elapsed = await run.timed(async () => {
          requests = await load.run(seconds);
        });
        return requests / elapsed;
      } finally {
        load.close();
      }
    },
  });
  return {
    id: 'manifests',
    async prepare(side: Side) {
      const config = Buffer.from(
        JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      );
      const layer = context.blob(64 * 1024).slice();
      const configDigest = await side.client.pushBytes(REPO, config);
      const layerDigest = await side.client.pushBytes(REPO, layer);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
          layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
          annotations: { 'dev.glci.bench': 'manifest rows' },
        }),
      );
      await side.client.putManifest(REPO, TAG, manifest, OCI_MANIFEST);
      side.state.set('manifestLength', manifest.length);
    },
    rows: [row('GET'), row('HEAD')],
  };
}
