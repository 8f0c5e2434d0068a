import { createHash } from 'node:crypto';
import { isDigest, parseDigest } from '../digest.js';
import {
  DigestMismatchError,
  ManifestTooLargeError,
  ManifestUnknownError,
  TagInvalidError,
  UnusableTagReferenceError,
} from '../errors.js';
import { isValidTag } from '../reference.js';
import type { Repository } from '../store/contracts.js';
import type { RequestContext } from './context.js';

/**
 * Manifests: `GET|HEAD|PUT|DELETE /v2/<name>/manifests/<tag-or-digest>`. GET answers the exact
 * stored bytes with the stored media type as `Content-Type`; PUT reads the body up to the size limit
 * (413 beyond), lets the store validate and link it, and applies the tag, or several `?tag=` when
 * pushed by digest (`OCI-Tag`).
 */

/** `GET|HEAD`: by tag or digest, with `Accept` negotiation. */
export async function getManifest(ctx: RequestContext): Promise<void> {
  const reference = ctx.reference;
  const byDigest = reference.includes(':');
  if (!byDigest && !isValidTag(reference)) throw new UnusableTagReferenceError(reference, ctx.name);
  const repository = await ctx.repository();

  if (ctx.isHead && !byDigest) {
    // A HEAD by tag needs only the tag's descriptor, not the bytes.
    const descriptor = await repository.tags.resolve(reference);
    negotiate(ctx, descriptor.mediaType, reference);
    ctx.res.writeHead(200, manifestHeaders(descriptor.mediaType, descriptor.size, String(descriptor.digest)));
    ctx.res.end();
    return;
  }
  const digest = byDigest ? parseDigest(reference) : (await repository.tags.resolve(reference)).digest;
  const stored = await repository.manifests.get(digest);
  const mediaType = stored.descriptor.mediaType;
  negotiate(ctx, mediaType, reference);
  const content = stored.content;
  const headers = manifestHeaders(mediaType, content.byteLength, String(stored.descriptor.digest));
  if (ctx.req.headers['if-none-match'] === headers.ETag) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(200, headers);
  if (ctx.isHead) {
    ctx.res.end();
    return;
  }
  ctx.bytesOut += content.byteLength;
  ctx.res.end(content);
}

/** `PUT`: validate, store the exact bytes, tag. */
export async function putManifest(ctx: RequestContext): Promise<void> {
  const reference = ctx.reference;
  const byDigest = reference.includes(':');
  const expected = byDigest ? parseDigest(reference) : undefined;
  if (!byDigest && !isValidTag(reference)) throw new TagInvalidError(reference);
  const extraTags = ctx.rawQuery ? ctx.query.getAll('tag') : [];
  for (const tag of extraTags) if (!isValidTag(tag)) throw new TagInvalidError(tag);
  const tags = byDigest
    ? [...new Set(extraTags)]
    : [reference, ...new Set(extraTags.filter((t) => t !== reference))];

  const limit = ctx.deps.settings.maxManifestBytes;
  const content = await ctx.readBody(limit, (size) => new ManifestTooLargeError(size, limit));
  if (expected) {
    const actual = createHash(expected.algorithm).update(content).digest('hex');
    if (actual !== expected.hex) {
      throw new DigestMismatchError(expected, parseDigest(`${expected.algorithm}:${actual}`));
    }
  }
  const mediaType = contentType(ctx.req.headers['content-type']);
  const repository = await ctx.repository();
  // Stored under the algorithm the client chose, so that `Location` (the digest it sent) resolves.
  // The store tags it too: it checks manifest, tags and references together once published.
  const result = await repository.manifests.put(content, mediaType, {
    ...(expected ? { digestAlgorithm: expected.algorithm } : {}),
    tags,
  });

  const digest = String(result.descriptor.digest);
  const headers: Record<string, string | number> = {
    Location: `/v2/${ctx.name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    'Content-Length': 0,
  };
  if (result.subject) headers['OCI-Subject'] = String(result.subject);
  if (byDigest && tags.length > 0) headers['OCI-Tag'] = tags.join(', ');
  ctx.res.writeHead(201, headers);
  ctx.res.end();
}

/** `DELETE`: a tag (the manifest stays) or a manifest by digest (its tags go with it) → 202. */
export async function deleteManifest(ctx: RequestContext): Promise<void> {
  const reference = ctx.reference;
  if (!reference.includes(':') && !isValidTag(reference)) {
    throw new UnusableTagReferenceError(reference, ctx.name);
  }
  const repository = await ctx.repository();
  if (isDigest(reference)) {
    await repository.manifests.delete(parseDigest(reference));
  } else if (reference.includes(':')) {
    parseDigest(reference); // throws DIGEST_INVALID with the reason
  } else {
    await untag(repository, reference);
  }
  ctx.res.writeHead(202, { 'Content-Length': 0 });
  ctx.res.end();
}

async function untag(repository: Repository, tag: string): Promise<void> {
  await repository.tags.resolve(tag); // MANIFEST_UNKNOWN when there is no such tag
  await repository.tags.untag(tag);
}

function manifestHeaders(mediaType: string, size: number, digest: string): Record<string, string | number> {
  return {
    'Content-Type': mediaType,
    'Content-Length': size,
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
  };
}

/** The media type without parameters (`; charset=...`), lower-cased. */
function contentType(header: string | undefined): string {
  if (!header) return '';
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * A client that lists acceptable types and excludes the stored one gets MANIFEST_UNKNOWN (there is
 * no conversion between formats; the exact bytes are the content). No `Accept`, `*\/*` or
 * `application/*` accept anything.
 */
function negotiate(ctx: RequestContext, mediaType: string, reference: string): void {
  const accept = ctx.req.headers.accept;
  if (!accept) return;
  for (const part of accept.split(',')) {
    const type = contentType(part);
    if (type === mediaType || type === '*/*' || type === 'application/*' || type === '') return;
  }
  throw new NotAcceptableManifest(reference, ctx.name, mediaType);
}

class NotAcceptableManifest extends ManifestUnknownError {
  constructor(reference: string, repository: string, mediaType: string) {
    super(reference, repository);
    this.message = `manifest ${reference} is stored as ${mediaType}, which the Accept header excludes`;
  }
}
