import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type RunningRegistry } from './create-registry.js';
import { FsDriver } from './driver/fs-driver.js';
import { garbageCollect } from './store/gc.js';
import { listDigests } from './store/links.js';
import { createNamespace, type RegistryNamespace } from './store/namespace.js';
import { layersPath } from './store/paths.js';

/**
 * A bounded stress run (30 s, `GLCI_STRESS_MS` to change it) of everything that can race at once,
 * over HTTP on the filesystem driver: chunked uploads (some cancelled, some raced by a second
 * PATCH on the same session), monolithic uploads, mounts, manifest PUTs after HEADs that skip
 * uploads, manifest and blob DELETEs, across repositories sharing the same blobs, while GC runs in
 * a loop from a second namespace on the same directory (as `glci registry gc` would from another
 * process) with a 200 ms grace period and deleteUntagged now and then. Then: no answer was a 5xx,
 * every tag resolves on HEAD and GET, every blob a tagged manifest names reads back and hashes to
 * its digest, and so does every blob any repository links.
 */
const DURATION_MS = Number(process.env.GLCI_STRESS_MS ?? 30_000);
const REPOSITORIES = ['stress/a', 'stress/b', 'stress/c', 'stress/d'];
/**
 * Loose blobs, never named by a manifest: blob DELETEs happen here only, because deleting a blob a
 * manifest names breaks that manifest by the client's own choice (distribution allows it too).
 */
const LOOSE = 'stress/loose';
const EVERY_REPOSITORY = [...REPOSITORIES, LOOSE];
const TAGS = ['latest', 'v1', 'v2', 'stable'];
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const logger = createSilentLogger();

const sha = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const chance = (p: number) => Math.random() < p;

let root: string;
let running: RunningRegistry;
let collector: RegistryNamespace;

// Blobs shared by every repository: small ones (configs, tiny layers) and some of a few MiB.
const blobs = Array.from({ length: 16 }, (_, index) =>
  randomBytes(index < 10 ? 512 + index * 300 : (1 + (index % 3)) * 1024 * 1024),
);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'glci-stress-'));
  const namespace = createNamespace({ driver: new FsDriver({ root, fsync: false }), logger });
  running = await createRegistry({
    namespace,
    logger,
    secret: 'stress test secret of enough length',
  }).listen();
  collector = createNamespace({ driver: new FsDriver({ root, fsync: false }), logger });
});

afterAll(async () => {
  await running?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the registry under a mix of every concurrent operation', () => {
  it(
    `keeps every blob whole and every tag resolvable (${DURATION_MS / 1000} s)`,
    { timeout: DURATION_MS + 180_000 },
    async () => {
      const statuses = new Map<string, number>();
      const serverErrors: string[] = [];
      const call = async (what: string, url: string, init?: RequestInit): Promise<Response> => {
        const response = await fetch(`${running.url}${url}`, init);
        const key = `${what} ${response.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (response.status >= 500) serverErrors.push(`${key}: ${await response.clone().text()}`);
        return response;
      };
      const deadline = Date.now() + DURATION_MS;
      const loop = async (body: () => Promise<void>) => {
        while (Date.now() < deadline) await body();
      };
      const location = (response: Response) => response.headers.get('location') as string;
      const withDigest = (url: string, digest: string) =>
        `${url}${url.includes('?') ? '&' : '?'}digest=${digest}`;

      const chunkedPush = async () => {
        const repository = pick(REPOSITORIES);
        const blob = pick(blobs);
        const started = await call('POST', `/v2/${repository}/blobs/uploads/`, { method: 'POST' });
        await started.arrayBuffer();
        let url = location(started);
        const pieces = 1 + Math.floor(Math.random() * 3);
        const step = Math.ceil(blob.length / pieces);
        for (let offset = 0; offset < blob.length; offset += step) {
          const chunk = blob.subarray(offset, offset + step);
          const range = `${offset}-${offset + chunk.length - 1}`;
          const patch = () =>
            call('PATCH', url, { method: 'PATCH', headers: { 'content-range': range }, body: chunk });
          // Now and then a second PATCH of the same chunk at once: one wins, the other gets 416.
          const answers = await Promise.all(chance(0.2) ? [patch(), patch()] : [patch()]);
          for (const answer of answers) {
            await answer.arrayBuffer();
            if (answer.status === 202) url = location(answer);
          }
          if (!answers.some((answer) => answer.status === 202)) return; // the session is gone (GC)
        }
        if (chance(0.1)) {
          await (await call('DELETE upload', url, { method: 'DELETE' })).arrayBuffer();
          return;
        }
        await (await call('PUT upload', withDigest(url, sha(blob)), { method: 'PUT' })).arrayBuffer();
      };

      const monolithicPush = async () => {
        const blob = pick(blobs.slice(0, 10));
        await (
          await call('POST digest', `/v2/${pick(REPOSITORIES)}/blobs/uploads/?digest=${sha(blob)}`, {
            method: 'POST',
            body: blob,
          })
        ).arrayBuffer();
      };

      const mount = async () => {
        const [from, to] = [pick(EVERY_REPOSITORY), pick(EVERY_REPOSITORY)];
        const url = `/v2/${to}/blobs/uploads/?mount=${sha(pick(blobs))}&from=${from}`;
        const answer = await call('POST mount', url, { method: 'POST' });
        await answer.arrayBuffer();
        if (answer.status === 202)
          await (await call('DELETE upload', location(answer), { method: 'DELETE' })).arrayBuffer();
      };

      const pushImage = async () => {
        const repository = pick(REPOSITORIES);
        const [config, layer] = [pick(blobs.slice(0, 10)), pick(blobs)];
        // What docker does: HEAD each blob, upload only the missing ones, then PUT the manifest.
        for (const blob of [config, layer]) {
          const head = await call('HEAD blob', `/v2/${repository}/blobs/${sha(blob)}`, { method: 'HEAD' });
          if (head.status === 200) continue;
          await (
            await call('POST digest', `/v2/${repository}/blobs/uploads/?digest=${sha(blob)}`, {
              method: 'POST',
              body: blob,
            })
          ).arrayBuffer();
        }
        const manifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha(config),
            size: config.length,
          },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length },
          ],
        });
        const reference = chance(0.8) ? pick(TAGS) : sha(Buffer.from(manifest));
        await (
          await call('PUT manifest', `/v2/${repository}/manifests/${reference}`, {
            method: 'PUT',
            headers: { 'content-type': OCI },
            body: manifest,
          })
        ).arrayBuffer();
      };

      const deleteSomething = async () => {
        const repository = pick(REPOSITORIES);
        if (chance(0.15)) {
          await (
            await call('DELETE blob', `/v2/${repository}/blobs/${sha(pick(blobs))}`, { method: 'DELETE' })
          ).arrayBuffer();
          return;
        }
        const tag = pick(TAGS);
        const head = await call('HEAD manifest', `/v2/${repository}/manifests/${tag}`, {
          method: 'HEAD',
          headers: { accept: OCI },
        });
        const digest = head.headers.get('docker-content-digest');
        const reference = chance(0.5) || !digest ? tag : digest;
        await (
          await call('DELETE manifest', `/v2/${repository}/manifests/${reference}`, { method: 'DELETE' })
        ).arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 20));
      };

      let collections = 0;
      const collect = async () => {
        await garbageCollect(collector, { gracePeriodMs: 200, deleteUntagged: chance(0.3) });
        collections += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      };

      await Promise.all([
        loop(chunkedPush),
        loop(chunkedPush),
        loop(monolithicPush),
        loop(mount),
        loop(pushImage),
        loop(pushImage),
        loop(deleteSomething),
        loop(collect),
      ]);

      // Every tag resolves; every blob its manifest names reads back whole.
      let tagsChecked = 0;
      for (const repository of REPOSITORIES) {
        const list = await call('GET tags', `/v2/${repository}/tags/list`);
        const tags =
          list.status === 200 ? (((await list.json()) as { tags: string[] | null }).tags ?? []) : [];
        for (const tag of tags) {
          const head = await call('HEAD manifest', `/v2/${repository}/manifests/${tag}`, {
            method: 'HEAD',
            headers: { accept: OCI },
          });
          const get = await call('GET manifest', `/v2/${repository}/manifests/${tag}`, {
            headers: { accept: OCI },
          });
          expect([head.status, get.status], `${repository}:${tag}`).toEqual([200, 200]);
          const manifest = (await get.json()) as {
            config: { digest: string };
            layers: Array<{ digest: string }>;
          };
          for (const digest of [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)]) {
            const blob = await call('GET blob', `/v2/${repository}/blobs/${digest}`);
            expect(blob.status, `${repository}:${tag} → ${digest}`).toBe(200);
            expect(sha(Buffer.from(await blob.arrayBuffer()))).toBe(digest);
          }
          tagsChecked += 1;
        }
      }
      // Every blob any repository links is served, and hashes to its digest.
      let blobsChecked = 0;
      for (const repository of REPOSITORIES) {
        for (const digest of await listDigests(collector.driver, layersPath(repository))) {
          const blob = await call('GET blob', `/v2/${repository}/blobs/${digest}`);
          expect(blob.status, `${repository} links ${digest}`).toBe(200);
          expect(sha(Buffer.from(await blob.arrayBuffer()))).toBe(String(digest));
          blobsChecked += 1;
        }
      }

      expect(serverErrors).toEqual([]);
      // It did race: writes were refused as busy, GC ran many times, and content survived it.
      expect(statuses.get('PATCH 416') ?? 0).toBeGreaterThan(0);
      expect(statuses.get('PUT manifest 201') ?? 0).toBeGreaterThan(0);
      expect(collections).toBeGreaterThan(3);
      expect(tagsChecked + blobsChecked).toBeGreaterThan(0);
      logger.info('stress run', {
        statuses: Object.fromEntries(statuses),
        collections,
        tagsChecked,
        blobsChecked,
      });
    },
  );
});
