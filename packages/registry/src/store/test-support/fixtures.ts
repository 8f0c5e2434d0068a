import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createSilentLogger } from '@glci/config';
import { type Digest, makeDigest } from '../../digest.js';
import { MemoryDriver } from '../../driver/memory-driver.js';
import type { StorageDriver } from '../../driver/storage-driver.js';
import { MediaType } from '../../media-types.js';
import type { BlobWriter, Descriptor, Repository } from '../contracts.js';
import { type CreateNamespaceOptions, createNamespace, type RegistryNamespace } from '../namespace.js';

export const logger = createSilentLogger();

/** A settable clock for expiry and grace periods. */
export class TestClock {
  now = new Date('2026-01-01T00:00:00Z');
  readonly read = (): Date => new Date(this.now);
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

export function testNamespace(
  options: Partial<CreateNamespaceOptions> & { driver?: StorageDriver } = {},
): RegistryNamespace {
  return createNamespace({ driver: options.driver ?? new MemoryDriver(), logger, ...options });
}

export function sha256(content: Uint8Array | string): Digest {
  return makeDigest('sha256', createHash('sha256').update(content).digest('hex'));
}

export function bytes(text: string): Uint8Array {
  return Buffer.from(text);
}

/** Pushes a blob through an upload session, in `chunks` pieces. */
export async function pushBlob(
  repository: Repository,
  content: Uint8Array | string,
  chunks = 1,
): Promise<Descriptor> {
  const data = typeof content === 'string' ? bytes(content) : content;
  const writer = (await repository.blobs.createUpload()) as BlobWriter;
  const step = Math.ceil(data.length / chunks) || 1;
  for (let offset = 0; offset < data.length; offset += step) {
    await writer.write(data.subarray(offset, offset + step), { expectedOffset: offset });
  }
  return writer.commit(sha256(data));
}

export function descriptorJson(
  descriptor: Descriptor,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest.toString(),
    size: descriptor.size,
    ...extra,
  };
}

/** An OCI image manifest over blobs already pushed to `repository`. */
export async function pushImage(
  repository: Repository,
  name: string,
  options: { tag?: string; layers?: string[]; extra?: Record<string, unknown> } = {},
): Promise<{ digest: Digest; content: Uint8Array; config: Descriptor; layers: Descriptor[] }> {
  const config = await pushBlob(repository, JSON.stringify({ architecture: 'amd64', os: 'linux', name }));
  const layers: Descriptor[] = [];
  for (const layer of options.layers ?? [`layer of ${name}`]) layers.push(await pushBlob(repository, layer));
  const content = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorJson({ ...config, mediaType: MediaType.ociConfig }),
      layers: layers.map((layer) =>
        descriptorJson({ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }),
      ),
      ...options.extra,
    }),
  );
  const result = await repository.manifests.put(content, MediaType.ociManifest);
  if (options.tag) await repository.tags.tag(options.tag, result.descriptor);
  return { digest: result.descriptor.digest, content, config, layers };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Every file under /v1 with its content, to prove an operation changed nothing. */
export async function snapshotStorage(driver: StorageDriver): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    let children: string[];
    try {
      children = await driver.list(path);
    } catch {
      return;
    }
    for (const child of children) {
      const info = await driver.stat(child);
      if (info.isDirectory) await walk(child);
      else
        files[child] = createHash('sha256')
          .update(await driver.getContent(child))
          .digest('hex');
    }
  };
  await walk('/v1');
  return files;
}
