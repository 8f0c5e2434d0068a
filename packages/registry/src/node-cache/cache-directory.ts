import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, type DigestAlgorithm, makeDigest } from '../digest.js';
import { type FileIdentity, identityOf } from './file-identity.js';

/**
 * The node-local cache's directory:
 *
 * ```
 * <root>/
 * ├── blobs/<algorithm>/<hex>   the blob <algorithm>:<hex>, written whole and hashed, then renamed here
 * └── tmp/fill-<name>           a copy in progress (a previous process's are removed at start)
 * ```
 *
 * Only names of these two forms are ever deleted, so pointing the cache at a directory that holds
 * other files loses none of them.
 */
export class CacheDirectory {
  constructor(readonly root: string) {}

  blobPath(digest: Digest): string {
    return path.join(this.root, 'blobs', digest.algorithm, digest.hex);
  }

  stagingPath(name: string): string {
    return path.join(this.root, 'tmp', `fill-${name}`);
  }

  /** Creates the layout (owner-only), checks it is writable, and removes stale copies in progress. */
  async prepare(): Promise<void> {
    for (const algorithm of ALGORITHMS) {
      await mkdir(path.join(this.root, 'blobs', algorithm), { recursive: true, mode: 0o700 });
    }
    const tmp = path.join(this.root, 'tmp');
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    await access(tmp, constants.W_OK);
    for (const name of await readdir(tmp)) {
      if (FILL_NAME.test(name)) await rm(path.join(tmp, name), { force: true });
    }
  }

  /** The blobs the directory holds, least recently filled (modified) first. */
  async scan(): Promise<{ digest: Digest; size: number }[]> {
    const found: { digest: Digest; size: number; modified: bigint }[] = [];
    for (const algorithm of ALGORITHMS) {
      const directory = path.join(this.root, 'blobs', algorithm);
      for (const name of await readdir(directory)) {
        if (!HEX[algorithm].test(name)) continue;
        const info = await stat(path.join(directory, name), { bigint: true });
        if (!info.isFile()) continue;
        found.push({ digest: makeDigest(algorithm, name), size: Number(info.size), modified: info.mtimeNs });
      }
    }
    found.sort((a, b) => (a.modified < b.modified ? -1 : a.modified > b.modified ? 1 : 0));
    return found.map(({ digest, size }) => ({ digest, size }));
  }
}

/**
 * Writes `stream` to a new `file` (owner-only), hashing it, and throws unless it was exactly the
 * blob `digest` of `size` bytes. Returns the written file's identity. The stream is destroyed.
 */
export async function writeVerified(
  file: string,
  digest: Digest,
  size: number,
  stream: Readable,
  signal: AbortSignal,
): Promise<FileIdentity> {
  const handle = await open(file, 'wx', 0o600);
  try {
    const hash = createHash(digest.algorithm);
    let written = 0;
    for await (const chunk of stream) {
      signal.throwIfAborted();
      const bytes = chunk as Uint8Array;
      written += bytes.length;
      if (written > size) break;
      hash.update(bytes);
      await writeAll(handle, bytes);
    }
    if (written !== size) throw new Error(`the store sent ${written} bytes of a ${size}-byte blob`);
    const actual = hash.digest('hex');
    if (actual !== digest.hex) throw new Error(`the store's bytes hash to ${digest.algorithm}:${actual}`);
    return identityOf(await handle.stat({ bigint: true }));
  } finally {
    stream.destroy();
    await handle.close();
  }
}

const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];
const HEX = { sha256: /^[0-9a-f]{64}$/, sha512: /^[0-9a-f]{128}$/ } as const;
const FILL_NAME = /^fill-[A-Za-z0-9-]+$/;

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
