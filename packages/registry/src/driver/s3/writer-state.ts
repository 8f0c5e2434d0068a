/**
 * The persisted state of a closed, uncommitted writer: one small object per pending writer at
 * `<prefix>~writers/<path>`, written whole by each `close()` (so it is replaced atomically):
 *
 *   "GLCIW1\n" | uint32 BE length of the JSON | JSON { uploadId?, parts: [{ n, etag, size }] } | tail bytes
 *
 * `parts` are the multipart-upload parts already in S3 (each at least 5 MiB, as S3 requires of
 * every part but the last); the tail is what was written after the last full part (less than one
 * part size), kept here because S3 cannot hold a short part in the middle of an upload. The tail
 * is bounded by the part size, so neither `close()` nor a resume ever moves more than one part.
 */

const MAGIC = Buffer.from('GLCIW1\n');

export interface UploadedPart {
  /** The part number, 1-based and contiguous. */
  readonly n: number;
  readonly etag: string;
  readonly size: number;
}

export interface WriterState {
  /** The S3 multipart upload, once the first full part was sent. */
  readonly uploadId: string | undefined;
  readonly parts: readonly UploadedPart[];
  readonly tail: Uint8Array;
}

export function encodeWriterState(state: WriterState): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      ...(state.uploadId !== undefined ? { uploadId: state.uploadId } : {}),
      parts: state.parts,
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json, state.tail]);
}

export function decodeWriterState(bytes: Uint8Array): WriterState {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length + 4 || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not a glci writer state object');
  }
  const length = buffer.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  const parsed = JSON.parse(buffer.subarray(start, start + length).toString('utf8')) as {
    uploadId?: unknown;
    parts?: unknown;
  };
  if (!Array.isArray(parsed.parts)) throw new Error('writer state without parts');
  const parts = parsed.parts.map((part: unknown, index: number): UploadedPart => {
    const { n, etag, size } = part as Record<string, unknown>;
    if (n !== index + 1 || typeof etag !== 'string' || typeof size !== 'number' || size < 0) {
      throw new Error(`writer state has a malformed part ${index + 1}`);
    }
    return { n, etag, size };
  });
  if (parsed.uploadId !== undefined && typeof parsed.uploadId !== 'string') {
    throw new Error('writer state has a malformed upload id');
  }
  if (parts.length > 0 && parsed.uploadId === undefined)
    throw new Error('writer state has parts but no upload');
  return {
    uploadId: parsed.uploadId as string | undefined,
    parts,
    tail: buffer.subarray(start + length),
  };
}

export function stateSize(state: Pick<WriterState, 'parts' | 'tail'>): number {
  return state.parts.reduce((total, part) => total + part.size, 0) + state.tail.length;
}
