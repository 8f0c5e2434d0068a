import { createHash } from 'node:crypto';
import { createSilentLogger } from '@glci/config';
import { type CreateRegistryOptions, createRegistry, type RunningRegistry } from '../../create-registry.js';
import { MemoryDriver } from '../../driver/memory-driver.js';
import { PathNotFoundError, type StorageDriver } from '../../driver/storage-driver.js';
import { createNamespace } from '../../store/index.js';
import type { RegistryNamespace } from '../../store/namespace.js';
import { LAYOUT_ROOT } from '../../store/paths.js';
import type { TestStorage } from './test-storage.js';

export const logger = createSilentLogger();

export interface TestRegistry extends AsyncDisposable {
  readonly url: string;
  readonly driver: StorageDriver;
  /** The namespace it serves (for GC and other store-level checks). */
  readonly namespace: RegistryNamespace;
  readonly running: RunningRegistry;
  /** fetch relative to the registry (`/v2/...`). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Every file in storage with a hash of its content, to prove a request changed nothing. */
  snapshot(): Promise<Record<string, string>>;
}

export type TestRegistryOptions = Partial<Omit<CreateRegistryOptions, 'namespace' | 'storage'>> & {
  /** The driver to serve; a fresh one from `storage` by default. */
  readonly driver?: StorageDriver;
  /** Where fresh drivers come from, and how uploads are hashed; memory by default. */
  readonly storage?: TestStorage;
};

/** A registry on a fresh driver (MemoryDriver unless `storage` says otherwise), listening on 127.0.0.1:0. */
export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const { driver: given, storage, ...registryOptions } = options;
  const driver = given ?? (storage ? await storage.create() : new MemoryDriver());
  const namespace = createNamespace({ driver, logger, ...(storage ? { hashing: storage.hashing } : {}) });
  const registry = createRegistry({ logger, ...registryOptions, namespace });
  const running = await registry.listen({ port: 0 });
  return {
    url: running.url,
    driver,
    namespace,
    running,
    fetch: (path, init) => fetch(`${running.url}${path}`, { redirect: 'manual', ...init }),
    snapshot: () => snapshot(driver),
    [Symbol.asyncDispose]: () => running.close(),
  };
}

/**
 * Every file under the layout root with a hash of its content. A file or directory that goes away
 * between being listed and being read (a request still cleaning up, as S3's virtual directories
 * vanish with their last key) is left out rather than failing the walk.
 */
export async function snapshot(driver: StorageDriver): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const unlessGone = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined;
      throw error;
    }
  };
  const walk = async (path: string): Promise<void> => {
    for (const child of (await unlessGone(() => driver.list(path))) ?? []) {
      const info = await unlessGone(() => driver.stat(child));
      if (info?.isDirectory) {
        await walk(child);
        continue;
      }
      const content = info && (await unlessGone(() => driver.getContent(child)));
      if (content !== undefined) files[child] = sha256(content);
    }
  };
  await walk(LAYOUT_ROOT);
  return files;
}

export function sha256(content: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

export function sha512(content: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(content).digest('hex')}`;
}

export interface OciError {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

export async function errorsOf(response: Response): Promise<OciError[]> {
  const body = (await response.json()) as { errors: OciError[] };
  return body.errors;
}

/** Pushes a blob monolithically (`POST ?digest=`) and returns its digest (sha256 unless `algorithm`). */
export async function pushBlob(
  registry: TestRegistry,
  name: string,
  content: Uint8Array | string,
  algorithm: 'sha256' | 'sha512' = 'sha256',
): Promise<string> {
  const digest = algorithm === 'sha512' ? sha512(content) : sha256(content);
  const response = await registry.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: typeof content === 'string' ? content : Buffer.from(content),
  });
  if (response.status !== 201)
    throw new Error(`blob push failed: ${response.status} ${await response.text()}`);
  return digest;
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Pushes a config and one layer, and returns the bytes of an OCI image manifest naming them. */
export async function imageManifest(
  registry: TestRegistry,
  name: string,
  options: {
    layer?: string;
    subject?: { digest: string; size: number; mediaType: string };
    artifactType?: string;
  } = {},
): Promise<string> {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const layer = options.layer ?? 'layer-content';
  const configDigest = await pushBlob(registry, name, config);
  const layerDigest = await pushBlob(registry, name, layer);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: MEDIA.ociLayer, digest: layerDigest, size: Buffer.byteLength(layer) }],
    ...(options.subject ? { subject: options.subject } : {}),
  });
}

export async function putManifest(
  registry: TestRegistry,
  name: string,
  reference: string,
  body: string,
  mediaType: string = MEDIA.ociManifest,
): Promise<Response> {
  return registry.fetch(`/v2/${name}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body,
  });
}
