import { type Digest, type DigestAlgorithm, isDigestAlgorithm, parseDigest } from '../digest.js';
import { BlobUploadUnknownError, SizeInvalidError, UploadRangeError } from '../errors.js';
import { isValidRepositoryName } from '../reference.js';
import type { BlobWriter, Descriptor } from '../store/contracts.js';
import { coalescedBody } from './body.js';
import type { RequestContext } from './context.js';
import { HttpError, uploadRange } from './oci-errors.js';

/**
 * Blob uploads (`/v2/<name>/blobs/uploads/[<id>]`): monolithic POST with `?digest=`, POST then PUT,
 * streamed and chunked PATCH (`Content-Range: <start>-<end>`, in order, else 416), `GET` for the
 * current range, closing PUT with or without a final chunk, DELETE to cancel, and cross-repository
 * mount. Bodies are streamed into the store's writer, never buffered. Session locations are signed
 * (upload-url.ts); an unsigned or foreign id is `BLOB_UPLOAD_UNKNOWN`.
 */

const SESSION_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const CONTENT_RANGE = /^([0-9]{1,16})-([0-9]{1,16})$/;

/** `POST /v2/<name>/blobs/uploads/[?digest=|?mount=&from=]`. */
export async function startUpload(ctx: RequestContext): Promise<void> {
  const query = ctx.rawQuery ? ctx.query : undefined;
  const mount = query?.get('mount');
  const digestParam = query?.get('digest');
  const repository = await ctx.repository();

  if (mount) {
    const digest = parseDigest(mount);
    const from = query?.get('from') || undefined;
    // A mount the client may not read from (or a malformed source) quietly becomes a plain upload.
    const fromAllowed =
      from !== undefined && isValidRepositoryName(from) && (await ctx.allowed(from, ['pull']));
    if (from === undefined || fromAllowed) {
      const result = await repository.blobs.createUpload({
        mount: { digest, ...(fromAllowed ? { from } : {}) },
      });
      if (result.mounted) {
        blobCreated(ctx, result.descriptor);
        return;
      }
      return sessionStarted(ctx, result);
    }
    return sessionStarted(ctx, (await repository.blobs.createUpload()) as BlobWriter);
  }

  if (digestParam !== null && digestParam !== undefined) {
    const digest = parseDigest(digestParam);
    const length = ctx.contentLength();
    if (length === undefined && ctx.req.headers['transfer-encoding'] === undefined) {
      throw new HttpError(411, 'SIZE_INVALID', 'a monolithic upload needs a Content-Length');
    }
    const writer = (await repository.blobs.createUpload({ digestAlgorithm: digest.algorithm })) as BlobWriter;
    ctx.deps.metrics?.uploadSession('started');
    const descriptor = await writeAndCommit(ctx, writer, digest, length, true);
    blobCreated(ctx, descriptor);
    return;
  }

  const algorithm = query?.get('digest-algorithm');
  if (algorithm && !isDigestAlgorithm(algorithm)) {
    throw new HttpError(400, 'DIGEST_INVALID', `unsupported digest algorithm ${algorithm.slice(0, 40)}`);
  }
  if (ctx.hasBody()) ctx.req.resume();
  const writer = (await repository.blobs.createUpload(
    algorithm ? { digestAlgorithm: algorithm as DigestAlgorithm } : {},
  )) as BlobWriter;
  await sessionStarted(ctx, writer);
}

/** `PATCH <location>`: appends a streamed body, or a chunk with `Content-Range`. */
export async function patchUpload(ctx: RequestContext): Promise<void> {
  const writer = await resume(ctx);
  resyncHeaders(ctx, writer);
  const length = ctx.contentLength();
  const range = parseContentRange(ctx, length);
  if (range && range.start !== writer.size) {
    throw new UploadRangeError(writer.id, range.start, writer.size);
  }
  const before = writer.size;
  try {
    await writeBody(ctx, writer, before);
  } finally {
    ctx.bytesIn += writer.size - before;
    // Every writing request ends by closing: what arrived is kept and the session's lease released.
    await writer.close();
  }
  const received = writer.size - before;
  if (length !== undefined && received !== length) {
    throw new SizeInvalidError(`received ${received} bytes, Content-Length said ${length}`);
  }
  ctx.res.writeHead(202, {
    Location: ctx.deps.uploads.location(ctx.name, writer.id),
    Range: uploadRange(writer.size),
    'Docker-Upload-UUID': writer.id,
    'Content-Length': 0,
  });
  ctx.res.end();
}

/** `GET <location>`: 204 with the current `Range`, how a client resynchronises after a 416. */
export async function getUpload(ctx: RequestContext): Promise<void> {
  const writer = await resume(ctx);
  ctx.res.writeHead(204, {
    Location: ctx.deps.uploads.location(ctx.name, writer.id),
    Range: uploadRange(writer.size),
    'Docker-Upload-UUID': writer.id,
  });
  ctx.res.end();
}

/** `PUT <location>?digest=`: the optional final chunk, then verify and publish. */
export async function finishUpload(ctx: RequestContext): Promise<void> {
  const raw = ctx.rawQuery ? ctx.query.get('digest') : null;
  if (!raw) throw new HttpError(400, 'DIGEST_INVALID', 'the closing PUT needs ?digest=');
  const digest = parseDigest(raw);
  const writer = await resume(ctx);
  resyncHeaders(ctx, writer);
  const length = ctx.contentLength();
  const range = parseContentRange(ctx, length);
  if (range && range.start !== writer.size) {
    throw new UploadRangeError(writer.id, range.start, writer.size);
  }
  const descriptor = await writeAndCommit(ctx, writer, digest, length);
  blobCreated(ctx, descriptor);
}

/** `DELETE <location>`: cancels the session → 204. */
export async function cancelUpload(ctx: RequestContext): Promise<void> {
  const writer = await resume(ctx);
  await writer.cancel();
  ctx.deps.metrics?.uploadSession('cancelled');
  ctx.res.writeHead(204, {});
  ctx.res.end();
}

/** A 416 (chunk out of order) must tell the client where to resynchronise: the session's Location. */
function resyncHeaders(ctx: RequestContext, writer: BlobWriter): void {
  ctx.res.setHeader('Location', ctx.deps.uploads.location(ctx.name, writer.id));
  ctx.res.setHeader('Docker-Upload-UUID', writer.id);
}

async function resume(ctx: RequestContext): Promise<BlobWriter> {
  const id = ctx.reference;
  const state = ctx.rawQuery ? ctx.query.get('_state') : null;
  if (!SESSION_ID.test(id) || !ctx.deps.uploads.verify(ctx.name, id, state)) {
    throw new BlobUploadUnknownError(id);
  }
  const repository = await ctx.repository();
  return repository.blobs.resumeUpload(id);
}

/**
 * Streams the body (if any) into the session and commits it. A monolithic POST's session is the
 * registry's own (the client never saw its location), so a broken body cancels it; a session the
 * client owns is kept (closed) so the client can resynchronise and continue.
 */
async function writeAndCommit(
  ctx: RequestContext,
  writer: BlobWriter,
  digest: Digest,
  length: number | undefined,
  ownSession = false,
): Promise<Descriptor> {
  const before = writer.size;
  const abandon = async () => {
    if (ownSession) {
      await writer.cancel().catch(() => undefined);
      ctx.deps.metrics?.uploadSession('failed');
    } else {
      await writer.close().catch(() => undefined);
    }
  };
  if (length !== 0 && (length !== undefined || ctx.req.headers['transfer-encoding'] !== undefined)) {
    try {
      await writeBody(ctx, writer, before);
    } catch (error) {
      ctx.bytesIn += writer.size - before;
      await abandon();
      throw error;
    }
    ctx.bytesIn += writer.size - before;
    const received = writer.size - before;
    if (length !== undefined && received !== length) {
      await abandon();
      throw new SizeInvalidError(`received ${received} bytes, Content-Length said ${length}`);
    }
  }
  try {
    const descriptor = await writer.commit(digest);
    ctx.deps.metrics?.uploadSession('completed');
    return descriptor;
  } catch (error) {
    ctx.deps.metrics?.uploadSession('failed');
    throw error;
  }
}

/**
 * Streams the request body into the session. When the write is refused before or while reading it
 * (the session is busy, the chunk is out of order), the rest of the body is read and dropped, so
 * that a client sending its whole body before reading the answer gets the answer rather than a
 * broken pipe; `sendError` closes the connection instead when the body is large or of unknown size.
 */
async function writeBody(ctx: RequestContext, writer: BlobWriter, offset: number): Promise<void> {
  const body = coalescedBody(ctx.req);
  try {
    await writer.write(body, { expectedOffset: offset, signal: ctx.signal });
  } catch (error) {
    if (!body.destroyed) body.resume();
    throw error;
  }
}

async function sessionStarted(ctx: RequestContext, writer: BlobWriter): Promise<void> {
  await writer.close();
  ctx.deps.metrics?.uploadSession('started');
  ctx.res.writeHead(202, {
    Location: ctx.deps.uploads.location(ctx.name, writer.id),
    Range: uploadRange(writer.size),
    'Docker-Upload-UUID': writer.id,
    'Content-Length': 0,
  });
  ctx.res.end();
}

function blobCreated(ctx: RequestContext, descriptor: Descriptor): void {
  const digest = String(descriptor.digest);
  ctx.res.writeHead(201, {
    Location: `/v2/${ctx.name}/blobs/${digest}`,
    'Docker-Content-Digest': digest,
    'Content-Length': 0,
  });
  ctx.res.end();
}

/**
 * `Content-Range: <start>-<end>` (inclusive, no `bytes ` prefix, as the spec writes it; the
 * `bytes ` form some clients send is accepted too). When present with a Content-Length, the two
 * must agree.
 */
function parseContentRange(
  ctx: RequestContext,
  length: number | undefined,
): { start: number; end: number } | undefined {
  const header = ctx.req.headers['content-range'];
  if (header === undefined) return undefined;
  const value = header.startsWith('bytes ') ? header.slice(6).split('/')[0]! : header;
  const match = CONTENT_RANGE.exec(value);
  if (!match) throw new HttpError(416, 'BLOB_UPLOAD_INVALID', 'Content-Range must be <start>-<end>');
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new HttpError(416, 'BLOB_UPLOAD_INVALID', 'Content-Range ends before it starts');
  if (length !== undefined && length !== end - start + 1) {
    throw new SizeInvalidError(`Content-Range covers ${end - start + 1} bytes, Content-Length is ${length}`);
  }
  return { start, end };
}
