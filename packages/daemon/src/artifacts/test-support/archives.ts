import { readFileSync, writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import { crc32 } from '../gzip-members.js';

export type ZipSpec =
  | { readonly name: string; readonly content: string | Buffer; readonly mode?: number }
  | { readonly name: string; readonly directory: true; readonly mode?: number }
  | { readonly name: string; readonly symlink: string };

const MTIME = new Date('2026-11-23T08:00:00Z');

/**
 * Writes a zip as gitlab-runner's artifacts uploader does: Unix modes in the external
 * attributes, directories as `name/` entries, symlinks as S_IFLNK entries holding their target.
 */
export async function writeZip(file: string, entries: readonly ZipSpec[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if ('directory' in entry)
      zip.addEmptyDirectory(entry.name, { mode: 0o040000 | (entry.mode ?? 0o755), mtime: MTIME });
    else if ('symlink' in entry)
      zip.addBuffer(Buffer.from(entry.symlink), entry.name, { mode: 0o120777, mtime: MTIME });
    else
      zip.addBuffer(Buffer.from(entry.content), entry.name, {
        mode: 0o100000 | (entry.mode ?? 0o644),
        mtime: MTIME,
      });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  writeFileSync(file, Buffer.concat(chunks));
}

/**
 * A zip with an entry name no well-behaved tool writes (`../evil`, `/etc/evil`): made with a safe
 * name of the same length, then that name's bytes are replaced in the local header and the
 * central directory (yazl, rightly, refuses to write such names).
 */
export async function writeHostileZip(file: string, hostileName: string): Promise<void> {
  const placeholder = 'x'.repeat(hostileName.length);
  await writeZip(file, [
    { name: 'fine.txt', content: 'fine' },
    { name: placeholder, content: 'evil' },
  ]);
  const bytes = readFileSync(file);
  const from = Buffer.from(placeholder);
  const to = Buffer.from(hostileName);
  let offset = bytes.indexOf(from);
  let replaced = 0;
  while (offset !== -1) {
    to.copy(bytes, offset);
    replaced++;
    offset = bytes.indexOf(from, offset + to.length);
  }
  if (replaced !== 2) throw new Error(`expected the name twice in the zip, found it ${replaced} times`);
  writeFileSync(file, bytes);
}

/** One gzip member with FNAME and FCOMMENT, as Go's compress/gzip writes the runner's reports. */
export function gzipMember(name: string | undefined, comment: string | undefined, data: Buffer): Buffer {
  const flags = (name !== undefined ? 0x08 : 0) | (comment !== undefined ? 0x10 : 0);
  const header = Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255]);
  header.writeUInt32LE(Math.floor(MTIME.getTime() / 1000), 4);
  const fields = [name, comment]
    .filter((field) => field !== undefined)
    .map((field) => Buffer.from(`${field}\0`, 'latin1'));
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, ...fields, deflateRawSync(data), trailer]);
}
