import { createLogger } from '@glci/config';
import { createNamespace, createRegistry, MemoryDriver, type RunningRegistry } from '@glci/registry';
import {
  type CountingProxy,
  type RunningDistribution,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProxyNamespace, type ProxyNamespace } from './create-proxy.js';
import { INDEX_MEDIA_TYPE } from './referrers-index.js';
import {
  artifactManifest,
  pushArtifact,
  pushSignedImage,
  SBOM_TYPE,
  SIGNATURE_TYPE,
  type SignedImage,
} from './test-support/artifacts.js';
import { TestClock } from './test-support/harness.js';

const HOUR = 3_600_000;
const logger = createLogger({ silent: true });

/**
 * Upstream `dist`: CNCF distribution 2.8.2, which has no referrers API (it answers 404), holding
 * images whose referrers are listed under the referrers tag as oras and crane maintain it there.
 * Upstream `api`: a glci registry, which has the OCI 1.1 referrers API. Both behind counting proxies.
 */
let distribution: RunningDistribution;
let apiRegistry: RunningRegistry;
let dist: CountingProxy;
let api: CountingProxy;
let signed: SignedImage;
let unlisted: SignedImage;
let viaApi: SignedImage;

beforeAll(async () => {
  distribution = await startDistribution();
  apiRegistry = await createRegistry({ storage: new MemoryDriver(), logger }).listen({ port: 0 });
  signed = await pushSignedImage(distribution.url, 'lib/signed', '1', { referrersTag: true });
  unlisted = await pushSignedImage(distribution.url, 'lib/unlisted', '1', { referrersTag: false });
  viaApi = await pushSignedImage(apiRegistry.url, 'lib/api', '1', { referrersTag: false });
  dist = await startCountingProxy(distribution.url);
  api = await startCountingProxy(apiRegistry.url);
}, 120_000);

afterAll(async () => {
  await dist?.stop();
  await api?.stop();
  await apiRegistry?.close();
  await distribution?.stop();
});

beforeEach(() => {
  for (const upstream of [dist, api]) {
    upstream.failWith(undefined);
    upstream.reset();
  }
});

interface Served extends AsyncDisposable {
  readonly url: string;
  readonly proxy: ProxyNamespace;
  readonly clock: TestClock;
}

/** A proxy over [dist, api] behind the registry's HTTP layer, on fresh in-memory storage. */
async function serveProxy(stateDriver?: MemoryDriver): Promise<Served> {
  const clock = new TestClock();
  const driver = stateDriver ?? new MemoryDriver();
  const proxy = createProxyNamespace({
    local: createNamespace({ driver, logger }),
    upstreams: [
      { url: dist.url, cache_validity_hours: 24 },
      { url: api.url, cache_validity_hours: 24 },
    ],
    logger,
    clock,
    ...(stateDriver ? { cache: { stateDriver } } : {}),
  });
  const running = await createRegistry({ namespace: proxy, logger }).listen({ port: 0 });
  return {
    url: running.url,
    proxy,
    clock,
    [Symbol.asyncDispose]: async () => {
      await running.close();
      await proxy.close();
    },
  };
}

async function referrers(url: string, name: string, subject: string, query = '') {
  const response = await fetch(`${url}/v2/${name}/referrers/${subject}${query}`);
  const body = (await response.json()) as { mediaType?: string; manifests: Record<string, unknown>[] };
  return { response, body, digests: body.manifests.map((descriptor) => descriptor.digest) };
}

async function pullManifest(url: string, name: string, reference: string): Promise<void> {
  const response = await fetch(`${url}/v2/${name}/manifests/${reference}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

const sorted = (...digests: string[]) => [...digests].sort();
const referrersTagOf = (digest: string) => digest.replace(':', '-');

describe('referrers through the pull-through cache', () => {
  it('answers what a distribution 2.8.2 upstream lists under the referrers tag, with zero upstream requests inside the validity window', async () => {
    await using served = await serveProxy();
    await pullManifest(served.url, 'lib/signed', '1');
    dist.reset();

    const first = await referrers(served.url, 'lib/signed', signed.image.digest);
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('content-type')).toBe(INDEX_MEDIA_TYPE);
    expect(first.body.mediaType).toBe(INDEX_MEDIA_TYPE);
    expect(first.digests).toEqual(sorted(signed.sbom.digest, signed.signature.digest));
    // The descriptors as listed in the upstream's referrers index, artifactType and annotations kept.
    expect(first.body.manifests).toEqual(
      [...signed.tagged!].sort((a, b) => String(a.digest).localeCompare(String(b.digest))),
    );
    // The API first (distribution 2.8.2 has none), then the referrers tag.
    expect(dist.requests).toEqual([
      `GET /v2/lib/signed/referrers/${signed.image.digest} 404`,
      `GET /v2/lib/signed/manifests/${referrersTagOf(signed.image.digest)} 200`,
    ]);
    expect(api.requests).toEqual([]);

    dist.reset();
    served.clock.advance(23 * HOUR);
    const again = await referrers(served.url, 'lib/signed', signed.image.digest);
    expect(again.digests).toEqual(first.digests);
    const filtered = await referrers(
      served.url,
      'lib/signed',
      signed.image.digest,
      `?artifactType=${encodeURIComponent(SBOM_TYPE)}`,
    );
    expect(filtered.response.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(filtered.digests).toEqual([signed.sbom.digest]);
    expect(filtered.body.manifests[0]).toMatchObject({ artifactType: SBOM_TYPE });
    expect(dist.requests).toEqual([]);
    const stats = served.proxy.stats().upstreams[0]!;
    expect(stats.hits).toBeGreaterThanOrEqual(2);
    expect(stats.misses).toBeGreaterThanOrEqual(2); // the manifest and the referrers list

    // After the window the list is fetched again; the upstream is known to lack the API by now.
    served.clock.advance(2 * HOUR);
    const refreshed = await referrers(served.url, 'lib/signed', signed.image.digest);
    expect(refreshed.digests).toEqual(first.digests);
    expect(dist.requests).toEqual([
      `GET /v2/lib/signed/manifests/${referrersTagOf(signed.image.digest)} 200`,
    ]);
  });

  it('serves the cached list with a Warning when the upstream fails after the window, and 502 when nothing is cached', async () => {
    await using served = await serveProxy();
    await pullManifest(served.url, 'lib/signed', '1');
    await pullManifest(served.url, 'lib/unlisted', '1');
    const fresh = await referrers(served.url, 'lib/signed', signed.image.digest);
    served.clock.advance(25 * HOUR);
    dist.failWith({ status: 503 });
    const stale = await referrers(served.url, 'lib/signed', signed.image.digest);
    expect(stale.response.status).toBe(200);
    expect(stale.digests).toEqual(fresh.digests);
    expect(stale.response.headers.get('warning')).toMatch(
      /^299 - "glci proxy: upstream .* failed \(server-error 503\); serving the cached copy of the referrers of sha256:/,
    );
    expect(served.proxy.stats().upstreams[0]!.staleServed).toBe(1);
    // Filtering still applies to a stale list.
    const filtered = await referrers(
      served.url,
      'lib/signed',
      signed.image.digest,
      `?artifactType=${encodeURIComponent(SIGNATURE_TYPE)}`,
    );
    expect(filtered.digests).toEqual([signed.signature.digest]);

    // Never fetched, upstream failing: an error, not an empty list that would read as "unsigned".
    const failing = await fetch(`${served.url}/v2/lib/unlisted/referrers/${unlisted.image.digest}`);
    expect(failing.status).toBe(502);
    expect(JSON.stringify(await failing.json())).toContain('503');
  });

  it('answers an empty list when the upstream has neither the API nor a referrers tag', async () => {
    await using served = await serveProxy();
    await pullManifest(served.url, 'lib/unlisted', '1');
    dist.reset();
    const none = await referrers(served.url, 'lib/unlisted', unlisted.image.digest);
    expect(none.response.status).toBe(200);
    expect(none.digests).toEqual([]);
    expect(dist.requests).toEqual([
      `GET /v2/lib/unlisted/referrers/${unlisted.image.digest} 404`,
      `GET /v2/lib/unlisted/manifests/${referrersTagOf(unlisted.image.digest)} 404`,
    ]);
    // The empty answer is cached for the window too.
    dist.reset();
    await referrers(served.url, 'lib/unlisted', unlisted.image.digest);
    expect(dist.requests).toEqual([]);
  });

  it('merges local referrers with the upstream ones, the local copy winning on the same digest', async () => {
    await using served = await serveProxy();
    await pullManifest(served.url, 'lib/signed', '1');
    // The SBOM pushed here too (same bytes), and an attestation only pushed here.
    await pushArtifact(served.url, 'lib/signed', signed.sbom);
    const attestation = artifactManifest(signed.image, 'application/vnd.example.attestation', 'attestation');
    await pushArtifact(served.url, 'lib/signed', attestation);

    const merged = await referrers(served.url, 'lib/signed', signed.image.digest);
    expect(merged.digests).toEqual(sorted(signed.sbom.digest, signed.signature.digest, attestation.digest));
    const byDigest = new Map(merged.body.manifests.map((descriptor) => [descriptor.digest, descriptor]));
    // The local descriptor carries the manifest's own annotations, not the referrers-tag listing's.
    expect(byDigest.get(signed.sbom.digest)).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: signed.sbom.digest,
      size: signed.sbom.size,
      artifactType: SBOM_TYPE,
      annotations: { 'org.example.kind': 'sbom' },
    });
    expect(byDigest.get(signed.signature.digest)).toMatchObject({
      annotations: { 'org.example.kind': 'signature', 'org.example.listed-by': 'referrers-tag' },
    });
    const attestations = await referrers(
      served.url,
      'lib/signed',
      signed.image.digest,
      '?artifactType=application/vnd.example.attestation',
    );
    expect(attestations.digests).toEqual([attestation.digest]);
    expect(attestations.response.headers.get('oci-filters-applied')).toBe('artifactType');
  });

  it('uses the referrers API of an upstream that has one, and asks the upstream the subject came from', async () => {
    await using served = await serveProxy();
    await pullManifest(served.url, 'lib/api', '1');
    dist.reset();
    api.reset();
    const found = await referrers(served.url, 'lib/api', viaApi.image.digest);
    expect(found.digests).toEqual(sorted(viaApi.sbom.digest, viaApi.signature.digest));
    expect(found.body.manifests.find((d) => d.digest === viaApi.sbom.digest)).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: viaApi.sbom.digest,
      size: viaApi.sbom.size,
      artifactType: SBOM_TYPE,
      annotations: { 'org.example.kind': 'sbom' },
    });
    expect(api.requests).toEqual([`GET /v2/lib/api/referrers/${viaApi.image.digest} 200`]);
    expect(dist.requests).toEqual([]);
    // The referrer manifests themselves come through the cache like any manifest by digest.
    await pullManifest(served.url, 'lib/api', viaApi.sbom.digest);
  });

  it('asks the upstreams in order for a subject never pulled, and none for a subject pushed here', async () => {
    await using served = await serveProxy();
    const found = await referrers(served.url, 'lib/api', viaApi.image.digest);
    expect(found.digests).toEqual(sorted(viaApi.sbom.digest, viaApi.signature.digest));
    expect(dist.requests).toEqual([
      `GET /v2/lib/api/referrers/${viaApi.image.digest} 404`,
      `GET /v2/lib/api/manifests/${referrersTagOf(viaApi.image.digest)} 404`,
    ]);
    expect(api.requests).toEqual([`GET /v2/lib/api/referrers/${viaApi.image.digest} 200`]);

    dist.reset();
    api.reset();
    const local = await pushSignedImage(served.url, 'team/own', '1', { referrersTag: false });
    const own = await referrers(served.url, 'team/own', local.image.digest);
    expect(own.digests).toEqual(sorted(local.sbom.digest, local.signature.digest));
    expect(dist.requests).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('keeps cached referrers across a restart, and serves them while the upstream is down', async () => {
    const state = new MemoryDriver();
    {
      await using before = await serveProxy(state);
      await pullManifest(before.url, 'lib/signed', '1');
      await referrers(before.url, 'lib/signed', signed.image.digest);
    }
    dist.reset();
    await dist.stop();
    try {
      await using after = await serveProxy(state);
      const inside = await referrers(after.url, 'lib/signed', signed.image.digest);
      expect(inside.digests).toEqual(sorted(signed.sbom.digest, signed.signature.digest));
      expect(inside.response.headers.get('warning')).toBeNull();
      after.clock.advance(25 * HOUR);
      const stale = await referrers(after.url, 'lib/signed', signed.image.digest);
      expect(stale.digests).toEqual(inside.digests);
      expect(stale.response.headers.get('warning')).toMatch(/failed \(unreachable\)/);
    } finally {
      await dist.start();
    }
  });
});
