import zlib from 'node:zlib';

/**
 * gitlab-runner packs a `gzip` report (junit, dotenv, cobertura…) as one gzip member per file,
 * concatenated, each with the file's base name in the header's FNAME field and its path in
 * FCOMMENT (runner `helpers/archives/gzip_create.go`). A plain gunzip would merge them into one
 * stream; this reads them one by one, with their names.
 */
export interface GzipMember {
  /** FNAME: the file's base name, or `undefined` when the header has none. */
  readonly name?: string;
  /** FCOMMENT: the runner puts the path it archived here. */
  readonly comment?: string;
  readonly modified?: Date;
  readonly data: Buffer;
}

export class GzipFormatError extends Error {
  override name = 'GzipFormatError';
}

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Splits a (multi-member) gzip file into its members, checking each one's size and CRC-32. */
export function readGzipMembers(bytes: Buffer): GzipMember[] {
  const members: GzipMember[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    // Trailing zero padding after the last member is allowed, as gzip(1) allows it.
    if (members.length > 0 && bytes.subarray(offset).every((byte) => byte === 0)) break;
    const { member, next } = readMember(bytes, offset, members.length);
    members.push(member);
    offset = next;
  }
  if (members.length === 0) throw new GzipFormatError('empty gzip file');
  return members;
}

function readMember(bytes: Buffer, start: number, index: number): { member: GzipMember; next: number } {
  const where = `gzip member ${index + 1} (byte ${start})`;
  if (bytes.length - start < 18 || bytes[start] !== 0x1f || bytes[start + 1] !== 0x8b) {
    throw new GzipFormatError(`${where}: not a gzip header`);
  }
  if (bytes[start + 2] !== 8)
    throw new GzipFormatError(`${where}: unknown compression method ${bytes[start + 2]}`);
  const flags = bytes[start + 3]!;
  const mtime = bytes.readUInt32LE(start + 4);
  let offset = start + 10;
  if (flags & FEXTRA) offset += 2 + bytes.readUInt16LE(offset);
  let name: string | undefined;
  let comment: string | undefined;
  if (flags & FNAME) ({ text: name, next: offset } = zeroTerminated(bytes, offset, where));
  if (flags & FCOMMENT) ({ text: comment, next: offset } = zeroTerminated(bytes, offset, where));
  if (flags & FHCRC) offset += 2;
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = zlib.inflateRawSync(bytes.subarray(offset), { info: true }) as unknown as typeof inflated;
  } catch (error) {
    throw new GzipFormatError(`${where}: ${(error as Error).message}`);
  }
  const trailer = offset + inflated.engine.bytesWritten;
  if (trailer + 8 > bytes.length) throw new GzipFormatError(`${where}: truncated`);
  const data = inflated.buffer;
  if (bytes.readUInt32LE(trailer + 4) !== data.length % 2 ** 32) {
    throw new GzipFormatError(`${where}: size does not match its trailer`);
  }
  if (bytes.readUInt32LE(trailer) !== crc32(data)) throw new GzipFormatError(`${where}: CRC-32 mismatch`);
  return {
    member: {
      ...(name !== undefined ? { name } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(mtime !== 0 ? { modified: new Date(mtime * 1000) } : {}),
      data,
    },
    next: trailer + 8,
  };
}

function zeroTerminated(bytes: Buffer, offset: number, where: string): { text: string; next: number } {
  const end = bytes.indexOf(0, offset);
  if (end === -1) throw new GzipFormatError(`${where}: unterminated header field`);
  // RFC 1952: header strings are ISO 8859-1.
  return { text: bytes.toString('latin1', offset, end), next: end + 1 };
}

/** CRC-32 (IEEE), as the gzip trailer holds it: zlib's own from Node 20.15 on, a table before. */
export const crc32: (data: Uint8Array) => number =
  typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : tableCrc32;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function tableCrc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
