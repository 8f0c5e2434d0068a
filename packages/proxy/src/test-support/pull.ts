import { createHash } from 'node:crypto';
import { type Namespace, parseDigest } from '@glci/registry';
import { childManifests, manifestBlobs } from '../manifest-references.js';

export interface PullResult {
  /** Digest of the manifest (or index) the tag resolved to. */
  readonly digest: string;
  readonly mediaType: string;
  /** Blob digests read, each verified against its content. */
  readonly blobs: string[];
  readonly bytes: number;
  /** `Warning` values the repository handles carried. */
  readonly warnings: string[];
}

/**
 * Pulls `name:tag` through a namespace the way the registry's HTTP handlers do for a client:
 * HEAD/GET the tag (`tags.resolve`), GET the manifest by digest, then for an index every child, and
 * for each image its config and layers (`blobs.stat`, then `blobs.open`). Every byte is hashed and
 * compared with its digest.
 */
export async function pullThrough(namespace: Namespace, name: string, tag: string): Promise<PullResult> {
  const warnings: string[] = [];
  const handle = async () => {
    const repository = await namespace.repository(name);
    return {
      repository,
      done: () => warnings.push(...(((repository as { warnings?: string[] }).warnings ?? []) as string[])),
    };
  };
  const first = await handle();
  const descriptor = await first.repository.tags.resolve(tag);
  const top = await first.repository.manifests.get(descriptor.digest);
  first.done();
  expectDigest(top.content, String(descriptor.digest));
  const images = childManifests(top.content);
  const manifests = images.length > 0 ? images.map((child) => child.digest) : [String(descriptor.digest)];
  const blobs: string[] = [];
  let bytes = 0;
  for (const manifestDigest of manifests) {
    const request = await handle();
    const manifest =
      manifestDigest === String(descriptor.digest)
        ? top
        : await request.repository.manifests.get(parseDigest(manifestDigest));
    request.done();
    expectDigest(manifest.content, manifestDigest);
    for (const blob of manifestBlobs(manifest.content)) {
      const blobRequest = await handle();
      const digest = parseDigest(blob.digest);
      const stat = await blobRequest.repository.blobs.stat(digest);
      if (stat.size !== blob.size)
        throw new Error(`blob ${blob.digest}: stat says ${stat.size}, manifest ${blob.size}`);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of await blobRequest.repository.blobs.open(digest)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      blobRequest.done();
      if (`sha256:${hash.digest('hex')}` !== blob.digest)
        throw new Error(`blob ${blob.digest} arrived corrupted`);
      if (size !== blob.size) throw new Error(`blob ${blob.digest}: ${size} bytes, expected ${blob.size}`);
      blobs.push(blob.digest);
      bytes += size;
    }
  }
  return { digest: String(descriptor.digest), mediaType: descriptor.mediaType, blobs, bytes, warnings };
}

function expectDigest(content: Uint8Array, digest: string): void {
  const actual = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  if (actual !== digest) throw new Error(`manifest ${digest} arrived as ${actual}`);
}
