import { type Descriptor, type Digest, parseDigest } from '@glci/registry';

/**
 * The two shapes referrers come in from an upstream, both an OCI image index whose `manifests` are
 * the referrer descriptors: the answer of the OCI 1.1 referrers API, and the index a client keeps
 * under the referrers tag on registries without that API (distribution 2.8.2, GHCR).
 */

export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/**
 * The referrers tag of a subject (the spec's fallback "referrers tag schema"): the algorithm and
 * the encoded part joined by `-`, truncated to 32 and 64 characters, with every character a tag may
 * not hold replaced by `-` (`sha256:abc…` → `sha256-abc…`).
 */
export function referrersTag(digest: Digest): string {
  const clean = (value: string, max: number) => value.slice(0, max).replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `${clean(digest.algorithm, 32)}-${clean(digest.hex, 64)}`;
}

/**
 * The referrer descriptors of an index's bytes. Entries that are not descriptors (no media type,
 * a malformed digest, no size) are skipped; bytes that are not an index at all give `undefined`
 * (the spec: "if that is not a valid index, assume no referrers").
 */
export function parseReferrersIndex(content: Uint8Array): Descriptor[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(content).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const index = parsed as { mediaType?: unknown; manifests?: unknown };
  if (index.mediaType !== undefined && index.mediaType !== INDEX_MEDIA_TYPE) return undefined;
  if (!Array.isArray(index.manifests)) return undefined;
  const descriptors: Descriptor[] = [];
  for (const item of index.manifests as unknown[]) {
    const descriptor = toDescriptor(item);
    if (descriptor) descriptors.push(descriptor);
  }
  return descriptors;
}

function toDescriptor(item: unknown): Descriptor | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value = item as Record<string, unknown>;
  if (typeof value.mediaType !== 'string' || typeof value.digest !== 'string') return undefined;
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) return undefined;
  let digest: Digest;
  try {
    digest = parseDigest(value.digest);
  } catch {
    return undefined;
  }
  const annotations = stringRecord(value.annotations);
  return {
    mediaType: value.mediaType,
    digest,
    size: value.size,
    ...(typeof value.artifactType === 'string' ? { artifactType: value.artifactType } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, v]) => typeof v === 'string') as [string, string][];
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
