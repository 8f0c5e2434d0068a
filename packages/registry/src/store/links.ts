import { type Digest, parseDigest } from '../digest.js';
import { PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import type { Descriptor } from './contracts.js';

/** A descriptor as stored in link files: the digest as text, plus the manifest's `subject`. */
interface DescriptorJson {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly subject?: string;
}

export interface LinkedDescriptor extends Descriptor {
  /** For manifest revisions: the `subject` the manifest declares. */
  readonly subject?: Digest;
}

export function encodeDescriptor(descriptor: LinkedDescriptor): Uint8Array {
  const json: DescriptorJson = {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest.toString(),
    size: descriptor.size,
    ...(descriptor.artifactType !== undefined ? { artifactType: descriptor.artifactType } : {}),
    ...(descriptor.annotations !== undefined ? { annotations: { ...descriptor.annotations } } : {}),
    ...(descriptor.subject !== undefined ? { subject: descriptor.subject.toString() } : {}),
  };
  return Buffer.from(JSON.stringify(json));
}

export function decodeDescriptor(content: Uint8Array): LinkedDescriptor {
  const json = JSON.parse(Buffer.from(content).toString('utf8')) as DescriptorJson;
  return {
    mediaType: json.mediaType,
    digest: parseDigest(json.digest),
    size: json.size,
    ...(json.artifactType !== undefined ? { artifactType: json.artifactType } : {}),
    ...(json.annotations !== undefined ? { annotations: json.annotations } : {}),
    ...(json.subject !== undefined ? { subject: parseDigest(json.subject) } : {}),
  };
}

/** The descriptor in a link file, or `undefined` when there is none. */
export async function readLink(driver: StorageDriver, path: string): Promise<LinkedDescriptor | undefined> {
  const content = await orUndefined(driver.getContent(path));
  return content === undefined ? undefined : decodeDescriptor(content);
}

export async function writeLink(
  driver: StorageDriver,
  path: string,
  descriptor: LinkedDescriptor,
): Promise<void> {
  await driver.putContent(path, encodeDescriptor(descriptor));
}

/** `promise`'s value, or `undefined` when it rejects with `PathNotFoundError`. */
export async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof PathNotFoundError) return undefined;
    throw error;
  }
}

/** Children of a directory; none when it does not exist. */
export async function listOrEmpty(
  driver: StorageDriver,
  path: string,
  options: { startAfter?: string; limit?: number } = {},
): Promise<string[]> {
  return (await orUndefined(driver.list(path, options))) ?? [];
}

/** Every digest under a `<algorithm>/<hex>` directory pair (layer links, revisions). */
export async function listDigests(driver: StorageDriver, path: string): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const algorithmPath of await listOrEmpty(driver, path)) {
    const algorithm = algorithmPath.slice(algorithmPath.lastIndexOf('/') + 1);
    for (const hexPath of await listOrEmpty(driver, algorithmPath)) {
      const hex = hexPath.slice(hexPath.lastIndexOf('/') + 1);
      try {
        digests.push(parseDigest(`${algorithm}:${hex}`));
      } catch {
        // Not ours: ignore foreign files rather than fail a listing.
      }
    }
  }
  return digests;
}
