import { createHash } from 'node:crypto';
import { createSilentLogger } from '@glci/config';
import { type CreateRegistryOptions, createRegistry, type RunningRegistry } from '../../create-registry.js';
import { MemoryDriver } from '../../driver/memory-driver.js';
import { PathNotFoundError, type StorageDriver } from '../../driver/storage-driver.js';
import { createNamespace } from '../../store/index.js';
import { LAYOUT_ROOT } from '../../store/paths.js';

export const logger = createSilentLogger();

export interface TestRegistry extends AsyncDisposable {
  readonly url: string;
  readonly driver: StorageDriver;
  readonly running: RunningRegistry;
  /** fetch relative to the registry (`/v2/...`). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Every file in storage with a hash of its content, to prove a request changed nothing. */
  snapshot(): Promise<Record<string, string>>;
}

/** A registry on a fresh MemoryDriver, listening on 127.0.0.1:0. */
export async function startTestRegistry(
  options: Partial<Omit<CreateRegistryOptions, 'namespace'>> & { driver?: StorageDriver } = {},
): Promise<TestRegistry> {
  const driver = options.driver ?? new MemoryDriver();
  const namespace = createNamespace({ driver, logger });
  const registry = createRegistry({ logger, ...options, namespace });
  const running = await registry.listen({ port: 0 });
  return {
    url: running.url,
    driver,
    running,
    fetch: (path, init) => fetch(`${running.url}${path}`, { redirect: 'manual', ...init }),
    snapshot: () => snapshot(driver),
    [Symbol.asyncDispose]: () => running.close(),
  };
}

export async function snapshot(driver: StorageDriver): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    let children: string[];
    try {
      children = await driver.list(path);
    } catch (error) {
      if (error instanceof PathNotFoundError) return;
      throw error;
    }
    for (const child of children) {
      const info = await driver.stat(child);
      if (info.isDirectory) await walk(child);
      else files[child] = sha256(await driver.getContent(child));
    }
  };
  await walk(LAYOUT_ROOT);
  return files;
}

export function sha256(content: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
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

/** Pushes a blob monolithically (`POST ?digest=`) and returns its digest. */
export async function pushBlob(
  registry: TestRegistry,
  name: string,
  content: Uint8Array | string,
): Promise<string> {
  const digest = sha256(content);
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
