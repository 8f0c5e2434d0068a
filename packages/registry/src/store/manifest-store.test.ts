import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import {
  ManifestBlobUnknownError,
  ManifestInvalidError,
  ManifestTooLargeError,
  ManifestUnknownError,
  UnsupportedError,
} from '../errors.js';
import { MediaType } from '../media-types.js';
import type { Descriptor, Repository } from './contracts.js';
import { digestOf } from './hasher.js';
import {
  bytes,
  descriptorJson,
  pushBlob,
  pushImage,
  sha256,
  testNamespace,
} from './test-support/fixtures.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function setup(options: Parameters<typeof testNamespace>[0] = {}) {
  const driver = new MemoryDriver();
  const namespace = testNamespace({ driver, ...options });
  const repository = await namespace.repository('app');
  const config = await pushBlob(repository, '{"architecture":"amd64","os":"linux"}');
  const layer = await pushBlob(repository, 'layer bytes');
  return { driver, namespace, repository, config, layer };
}

function image(config: Descriptor, layers: Descriptor[], extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: descriptorJson({
      ...config,
      mediaType: config.mediaType === MediaType.octetStream ? MediaType.ociConfig : config.mediaType,
    }),
    layers: layers.map((layer) => descriptorJson({ ...layer, mediaType: LAYER })),
    ...extra,
  };
}

async function put(repository: Repository, json: unknown, mediaType: string = MediaType.ociManifest) {
  return repository.manifests.put(bytes(typeof json === 'string' ? json : JSON.stringify(json)), mediaType);
}

describe('manifest store', () => {
  it('stores the exact bytes and returns them with the media type', async () => {
    const { repository, config, layer } = await setup();
    // Odd whitespace and key order must survive: the digest is over these bytes.
    const text = `{ "schemaVersion":2,\n  "layers": ${JSON.stringify([descriptorJson({ ...layer, mediaType: LAYER })])},
      "config": ${JSON.stringify(descriptorJson(config))}, "mediaType": "${MediaType.ociManifest}" }`;
    const result = await put(repository, text);
    expect(result.descriptor.digest.toString()).toBe(sha256(text).toString());
    expect(result.descriptor).toMatchObject({
      mediaType: MediaType.ociManifest,
      size: Buffer.byteLength(text),
    });
    expect(result.subject).toBeUndefined();
    const stored = await repository.manifests.get(result.descriptor.digest);
    expect(Buffer.from(stored.content).toString()).toBe(text);
    expect(stored.descriptor.mediaType).toBe(MediaType.ociManifest);
    expect(await repository.manifests.exists(result.descriptor.digest)).toBe(true);
  });

  it('accepts each supported kind', async () => {
    const { repository, config, layer } = await setup();
    const oci = await put(repository, image(config, [layer]));
    const docker = await put(
      repository,
      { ...image(config, [layer]), mediaType: MediaType.dockerManifest },
      MediaType.dockerManifest,
    );
    const child = (result: typeof oci, platform: string) =>
      descriptorJson(result.descriptor, { platform: { architecture: platform, os: 'linux' } });
    const index = await put(
      repository,
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [child(oci, 'amd64'), child(docker, 'arm64')],
      },
      MediaType.ociIndex,
    );
    // Nested index: an index of indexes.
    await put(
      repository,
      { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [descriptorJson(index.descriptor)] },
      MediaType.ociIndex,
    );
    await put(
      repository,
      { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [child(docker, 'amd64')] },
      MediaType.dockerManifestList,
    );
    const empty = await pushBlob(repository, '{}');
    const artifact = await put(
      repository,
      image({ ...empty, mediaType: MediaType.ociEmpty }, [layer], {
        artifactType: 'application/vnd.example.sbom',
        subject: descriptorJson(oci.descriptor),
      }),
    );
    expect(artifact.subject?.toString()).toBe(oci.descriptor.digest.toString());
    expect(artifact.descriptor.artifactType).toBe('application/vnd.example.sbom');
    await put(
      repository,
      {
        mediaType: MediaType.ociArtifactManifest,
        artifactType: 'application/x',
        blobs: [descriptorJson(layer)],
      },
      MediaType.ociArtifactManifest,
    );
    // No mediaType field: taken from the Content-Type.
    const { mediaType: _omitted, ...bare } = image(config, [layer]);
    expect((await put(repository, bare, MediaType.ociManifest)).descriptor.mediaType).toBe(
      MediaType.ociManifest,
    );
    // Neither: inferred from the shape.
    expect((await put(repository, bare, '')).descriptor.mediaType).toBe(MediaType.ociManifest);
    // Content-Type parameters are ignored.
    await put(repository, image(config, [layer]), `${MediaType.ociManifest}; charset=utf-8`);
  });

  it('lets a manifest reference a foreign layer that has urls without it being pushed', async () => {
    const { repository, config } = await setup();
    const foreign = {
      mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      digest: sha256('win'),
      size: 3,
    };
    const json = {
      ...image(config, []),
      mediaType: MediaType.dockerManifest,
      layers: [{ ...descriptorJson(foreign), urls: ['https://example.invalid/layer'] }],
    };
    await put(repository, json, MediaType.dockerManifest);
  });

  describe('refuses bad manifests with the exact error', async () => {
    const ctx = await setup();
    const { config, layer } = ctx;
    const unknown = sha256('never pushed');
    const unknownDescriptor: Descriptor = { mediaType: LAYER, digest: unknown, size: 12 };
    const cases: Array<[string, unknown, string, new (...args: never[]) => Error]> = [
      ['not JSON', '{"schemaVersion":2,', MediaType.ociManifest, ManifestInvalidError],
      ['a JSON array', '[]', MediaType.ociManifest, ManifestInvalidError],
      ['a JSON string', '"manifest"', MediaType.ociManifest, ManifestInvalidError],
      [
        'schemaVersion 1',
        { ...image(config, [layer]), schemaVersion: 1 },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'no schemaVersion',
        { ...image(config, [layer]), schemaVersion: undefined },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'Content-Type disagrees with mediaType',
        image(config, [layer]),
        MediaType.dockerManifest,
        ManifestInvalidError,
      ],
      [
        'unknown media type',
        { ...image(config, [layer]), mediaType: 'application/x-nope' },
        'application/x-nope',
        ManifestInvalidError,
      ],
      ['mediaType not a string', { ...image(config, [layer]), mediaType: 42 }, '', ManifestInvalidError],
      [
        'Docker schema 1',
        { schemaVersion: 1, name: 'app', tag: 'latest', fsLayers: [] },
        MediaType.dockerSchema1Signed,
        ManifestInvalidError,
      ],
      [
        'missing config',
        { ...image(config, [layer]), config: undefined },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'layers not an array',
        { ...image(config, [layer]), layers: {} },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'descriptor with a bad digest',
        { ...image(config, []), layers: [{ mediaType: LAYER, digest: 'sha256:xyz', size: 1 }] },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'descriptor with an unsupported algorithm',
        { ...image(config, []), layers: [{ mediaType: LAYER, digest: `md5:${'a'.repeat(32)}`, size: 1 }] },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'descriptor with a negative size',
        { ...image(config, []), layers: [{ ...descriptorJson(layer), size: -1 }] },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'descriptor with a fractional size',
        { ...image(config, []), layers: [{ ...descriptorJson(layer), size: 1.5 }] },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'descriptor without mediaType',
        { ...image(config, []), layers: [{ digest: layer.digest.toString(), size: layer.size }] },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'annotations that are not strings',
        { ...image(config, [layer]), annotations: { a: 1 } },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'artifactType not a string',
        { ...image(config, [layer]), artifactType: 5 },
        MediaType.ociManifest,
        ManifestInvalidError,
      ],
      [
        'Docker manifest with a subject',
        { ...image(config, [layer]), mediaType: MediaType.dockerManifest, subject: descriptorJson(layer) },
        MediaType.dockerManifest,
        ManifestInvalidError,
      ],
      [
        'index without manifests',
        { schemaVersion: 2, mediaType: MediaType.ociIndex },
        MediaType.ociIndex,
        ManifestInvalidError,
      ],
      [
        'artifact manifest without artifactType',
        { mediaType: MediaType.ociArtifactManifest, blobs: [] },
        MediaType.ociArtifactManifest,
        ManifestInvalidError,
      ],
      ['shape unknown and no type', { schemaVersion: 2 }, '', ManifestInvalidError],
      [
        'unknown layer',
        image(config, [layer, unknownDescriptor]),
        MediaType.ociManifest,
        ManifestBlobUnknownError,
      ],
      [
        'unknown config',
        image({ ...config, digest: unknown }, [layer]),
        MediaType.ociManifest,
        ManifestBlobUnknownError,
      ],
      [
        'unknown child manifest',
        {
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [descriptorJson({ ...unknownDescriptor, mediaType: MediaType.ociManifest })],
        },
        MediaType.ociIndex,
        ManifestBlobUnknownError,
      ],
      [
        'child that is a blob, not a manifest',
        {
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [descriptorJson({ ...layer, mediaType: MediaType.ociManifest })],
        },
        MediaType.ociIndex,
        ManifestBlobUnknownError,
      ],
    ];

    it.each(cases)('%s', async (_name, json, mediaType, errorClass) => {
      const before = await ctx.namespace.catalog();
      const revisionsBefore = await ctx.driver.list('/v1/repositories/app/_manifests').catch(() => []);
      const error = await put(ctx.repository, json, mediaType).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(errorClass);
      expect(await ctx.namespace.catalog()).toEqual(before);
      expect(await ctx.driver.list('/v1/repositories/app/_manifests').catch(() => [])).toEqual(
        revisionsBefore,
      );
    });
  });

  it('names every missing reference in ManifestBlobUnknownError', async () => {
    const { repository, config } = await setup();
    const missing = [sha256('a'), sha256('b')];
    const error = (await put(
      repository,
      image(
        config,
        missing.map((digest) => ({ mediaType: LAYER, digest, size: 1 })),
      ),
    ).catch((e: unknown) => e)) as ManifestBlobUnknownError;
    expect(error).toBeInstanceOf(ManifestBlobUnknownError);
    expect(error.digests.map(String).sort()).toEqual(missing.map(String).sort());
  });

  it('refuses a blob linked only in another repository', async () => {
    const { namespace, config, layer } = await setup();
    const other = await namespace.repository('other');
    await expect(put(other, image(config, [layer]))).rejects.toBeInstanceOf(ManifestBlobUnknownError);
  });

  it('enforces the size limit with ManifestTooLargeError', async () => {
    const { repository, config, layer } = await setup({ manifestSizeLimit: 1024 });
    const big = image(config, [layer], { annotations: { padding: 'x'.repeat(2000) } });
    const error = (await put(repository, big).catch((e: unknown) => e)) as ManifestTooLargeError;
    expect(error).toBeInstanceOf(ManifestTooLargeError);
    expect(error.limit).toBe(1024);
    const { repository: defaults, config: c2, layer: l2 } = await setup();
    await expect(
      put(defaults, image(c2, [l2], { annotations: { padding: 'x'.repeat(4 * 1024 * 1024) } })),
    ).rejects.toBeInstanceOf(ManifestTooLargeError);
  });

  it('accepts a subject that does not exist (referrers may come first) and records the referrer', async () => {
    const { repository, config, layer } = await setup();
    const subject = sha256('not pushed yet');
    const result = await put(
      repository,
      image(config, [layer], {
        artifactType: 'application/vnd.example.signature',
        subject: { mediaType: MediaType.ociManifest, digest: subject.toString(), size: 100 },
        annotations: { 'org.example.signed-by': 'ci' },
      }),
    );
    expect(result.subject?.toString()).toBe(subject.toString());
    const referrers = await repository.referrers.list(subject);
    expect(referrers.map((d) => ({ ...d, digest: d.digest.toString() }))).toEqual([
      {
        mediaType: MediaType.ociManifest,
        digest: result.descriptor.digest.toString(),
        size: result.descriptor.size,
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.signed-by': 'ci' },
      },
    ]);
  });

  it('filters referrers by artifactType; the config media type stands in when artifactType is absent', async () => {
    const { repository, config, layer } = await setup();
    const subject = await pushImage(repository, 'subject');
    const subjectJson = {
      mediaType: MediaType.ociManifest,
      digest: subject.digest.toString(),
      size: subject.content.length,
    };
    const sbom = await put(
      repository,
      image(config, [layer], { artifactType: 'application/sbom', subject: subjectJson }),
    );
    const sig = await put(
      repository,
      image(config, [], { artifactType: 'application/sig', subject: subjectJson }),
    );
    const plain = await put(
      repository,
      image({ ...config, mediaType: 'application/x-custom-config' }, [layer], { subject: subjectJson }),
    );
    expect((await repository.referrers.list(subject.digest)).map((d) => d.digest.toString()).sort()).toEqual(
      [sbom, sig, plain].map((r) => r.descriptor.digest.toString()).sort(),
    );
    expect(
      (await repository.referrers.list(subject.digest, { artifactType: 'application/sig' })).map((d) =>
        String(d.digest),
      ),
    ).toEqual([String(sig.descriptor.digest)]);
    expect(
      (await repository.referrers.list(subject.digest, { artifactType: 'application/x-custom-config' })).map(
        (d) => String(d.digest),
      ),
    ).toEqual([String(plain.descriptor.digest)]);
    expect(await repository.referrers.list(subject.digest, { artifactType: 'application/none' })).toEqual([]);
    expect(await repository.referrers.list(sha256('nothing refers to this'))).toEqual([]);
    // Deleting a referrer withdraws it.
    await repository.manifests.delete(sig.descriptor.digest);
    expect(await repository.referrers.list(subject.digest, { artifactType: 'application/sig' })).toEqual([]);
  });

  it('stores under sha512 when asked', async () => {
    const { repository, config, layer } = await setup();
    const content = bytes(JSON.stringify(image(config, [layer])));
    const result = await repository.manifests.put(content, MediaType.ociManifest, {
      digestAlgorithm: 'sha512',
    });
    expect(result.descriptor.digest.toString()).toBe(digestOf(content, 'sha512').toString());
    expect((await repository.manifests.get(result.descriptor.digest)).content.length).toBe(content.length);
  });

  it('deletes a manifest with every tag pointing at it', async () => {
    const { repository } = await setup();
    const first = await pushImage(repository, 'first', { tag: 'v1' });
    await repository.tags.tag('latest', await repository.tags.resolve('v1'));
    const second = await pushImage(repository, 'second', { tag: 'v2' });
    await repository.manifests.get(first.digest); // now in the namespace's manifest cache
    await repository.manifests.delete(first.digest);
    await expect(repository.manifests.get(first.digest)).rejects.toBeInstanceOf(ManifestUnknownError);
    await expect(repository.tags.resolve('v1')).rejects.toBeInstanceOf(ManifestUnknownError);
    await expect(repository.tags.resolve('latest')).rejects.toBeInstanceOf(ManifestUnknownError);
    expect((await repository.tags.resolve('v2')).digest.toString()).toBe(second.digest.toString());
    await expect(repository.manifests.delete(first.digest)).rejects.toBeInstanceOf(ManifestUnknownError);
  });

  it('refuses deletes when they are disabled', async () => {
    const { repository } = await setup({ deleteEnabled: false });
    const pushed = await pushImage(repository, 'x', { tag: 'v1' });
    await expect(repository.manifests.delete(pushed.digest)).rejects.toBeInstanceOf(UnsupportedError);
    await expect(repository.tags.untag('v1')).rejects.toBeInstanceOf(UnsupportedError);
    await expect(repository.blobs.delete(pushed.layers[0]!.digest)).rejects.toBeInstanceOf(UnsupportedError);
    expect(await repository.manifests.exists(pushed.digest)).toBe(true);
  });

  it('answers ManifestUnknownError for an unknown digest', async () => {
    const { repository } = await setup();
    await expect(repository.manifests.get(sha256('?'))).rejects.toBeInstanceOf(ManifestUnknownError);
    expect(await repository.manifests.exists(sha256('?'))).toBe(false);
  });

  describe('sparse indexes (allowSparseIndex)', () => {
    async function sparse(options: Parameters<typeof testNamespace>[0]) {
      const { repository, config, layer, namespace } = await setup(options);
      const present = await put(repository, image(config, [layer]));
      const absent = {
        mediaType: MediaType.ociManifest,
        digest: sha256('a platform this mirror never fetched'),
        size: 1234,
      };
      const index = {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          descriptorJson(present.descriptor, { platform: { os: 'linux', architecture: 'amd64' } }),
          descriptorJson(absent, { platform: { os: 'linux', architecture: 'arm64' } }),
        ],
      };
      return { repository, namespace, index, absent, layer };
    }

    it('refuses an index with an absent child by default, naming it', async () => {
      const { repository, index, absent } = await sparse({});
      const error = await put(repository, index, MediaType.ociIndex).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ManifestBlobUnknownError);
      expect((error as ManifestBlobUnknownError).digests.map(String)).toEqual([String(absent.digest)]);
    });

    it('accepts it when allowed, still requires the blobs of image manifests, and GC keeps what it reaches', async () => {
      const { repository, namespace, index, layer } = await sparse({ allowSparseIndex: true });
      const stored = await repository.manifests.put(bytes(JSON.stringify(index)), MediaType.ociIndex, {
        tags: ['multi'],
      });
      expect(String((await repository.tags.resolve('multi')).digest)).toBe(String(stored.descriptor.digest));
      await expect(
        put(repository, image({ ...layer, digest: sha256('never pushed') }, [layer])),
      ).rejects.toBeInstanceOf(ManifestBlobUnknownError);
      const { garbageCollect } = await import('./gc.js');
      await garbageCollect(namespace, { gracePeriodMs: 0, deleteUntagged: true });
      expect((await repository.manifests.get(stored.descriptor.digest)).content.length).toBeGreaterThan(0);
      expect((await repository.blobs.stat(layer.digest)).size).toBe(layer.size);
    });
  });
});
