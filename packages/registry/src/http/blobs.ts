import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../digest.js';
import { FileRangeStream } from '../driver/file-range-stream.js';
import type { ByteRange } from '../store/contracts.js';
import type { RequestContext } from './context.js';
import { RangeNotSatisfiableError } from './oci-errors.js';
import { relayPositional } from './relay-positional.js';

/**
 * `GET|HEAD /v2/<name>/blobs/<digest>`: streams the blob (never buffered) with
 * `Docker-Content-Digest`, `Content-Length`, `ETag` and single-range `Range` support (206/416);
 * redirects to the driver's URL when the store offers one and redirects are enabled.
 */
export async function getBlob(ctx: RequestContext): Promise<void> {
  const digest = parseDigest(ctx.reference);
  const repository = await ctx.repository();
  // A HEAD is how a pushing client decides to skip an upload: keep the blob from GC for it.
  const refresh = ctx.isHead && !ctx.deps.settings.readOnly;
  const descriptor = await repository.blobs.stat(digest, refresh ? { refresh } : undefined);
  const text = ctx.reference;
  const etag = `"${text}"`;

  if (ctx.deps.settings.redirect && repository.blobs.redirectUrl) {
    const url = await repository.blobs.redirectUrl(digest, { method: ctx.isHead ? 'HEAD' : 'GET' });
    if (url) {
      ctx.res.writeHead(307, { Location: url, 'Docker-Content-Digest': text, 'Content-Length': 0 });
      ctx.res.end();
      return;
    }
  }

  const size = descriptor.size;
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': text,
    ETag: etag,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  if (ctx.req.headers['if-none-match'] === etag) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  const rangeHeader = ctx.req.headers.range;
  const range = rangeHeader && ifRangeMatches(ctx, etag) ? parseRange(rangeHeader, size) : undefined;
  if (range) {
    headers['Content-Length'] = range.length;
    headers['Content-Range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`;
  } else {
    headers['Content-Length'] = size;
  }
  const status = range ? 206 : 200;
  if (ctx.isHead) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const stream = await repository.blobs.open(
    digest,
    range ? { range, signal: ctx.signal } : { signal: ctx.signal },
  );
  ctx.res.writeHead(status, headers);
  ctx.bytesOut += range ? range.length : size;
  if (stream instanceof FileRangeStream) {
    // A file: relay it through reused buffers rather than a fresh one per chunk.
    try {
      await relayPositional(stream.positional, ctx.res);
    } finally {
      stream.destroy();
    }
    return;
  }
  await pipeline(stream, ctx.res);
}

/** `DELETE /v2/<name>/blobs/<digest>` → 202 (registered only when deletes are enabled). */
export async function deleteBlob(ctx: RequestContext): Promise<void> {
  const digest = parseDigest(ctx.reference);
  const repository = await ctx.repository();
  await repository.blobs.delete(digest);
  ctx.res.writeHead(202, { 'Content-Length': 0, 'Docker-Content-Digest': ctx.reference });
  ctx.res.end();
}

function ifRangeMatches(ctx: RequestContext, etag: string): boolean {
  const ifRange = ctx.req.headers['if-range'];
  return ifRange === undefined || ifRange === etag;
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-`, `-suffix`. Several ranges are not served as
 * multipart; the whole blob is returned instead (which the RFC allows). Syntax the RFC says to
 * ignore is ignored; a well-formed range outside the blob is 416.
 */
export function parseRange(header: string, size: number): ByteRange | undefined {
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (!match) {
    if (/^bytes=/.test(header.trim()) && !header.includes(','))
      throw new RangeNotSatisfiableError(header, size);
    return undefined;
  }
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') throw new RangeNotSatisfiableError(header, size);
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw new RangeNotSatisfiableError(header, size);
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const offset = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (offset >= size || (last !== '' && Number(last) < offset))
    throw new RangeNotSatisfiableError(header, size);
  return { offset, length: end - offset + 1 };
}
