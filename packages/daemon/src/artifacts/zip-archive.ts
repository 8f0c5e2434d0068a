import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { ArchiveError, ArtifactError, UnsafeEntryError } from './errors.js';
import type { ExtractTarget } from './extract-target.js';

/** One entry of an archive, as `glci artifacts inspect` lists it. */
export interface ArchiveEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'symlink';
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** Unix permission bits when the archive records them (gitlab-runner does). */
  readonly mode?: number;
  readonly modified?: Date;
  /** A symlink's target. */
  readonly target?: string;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** A symlink's target is stored as its content; anything longer is not a link a runner made. */
const MAX_LINK_TARGET = 4096;

/** Lists a zip archive's entries in archive order. */
export async function listZip(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  await walkZip(file, async (entry, zip) => {
    const described = describe(entry);
    entries.push(
      described.kind === 'symlink'
        ? { ...described, target: await readLinkTarget(zip, entry, file) }
        : described,
    );
  });
  return entries;
}

/**
 * Extracts a zip archive into `target`. Entry names are checked twice: yauzl refuses absolute
 * paths, `..` components and backslashes (a zip made on Windows), and the target refuses any
 * path that would resolve outside it, through symlinks too.
 */
export async function extractZip(file: string, target: ExtractTarget): Promise<void> {
  await walkZip(file, async (entry, zip) => {
    const info = describe(entry);
    if (info.kind === 'directory') {
      await target.directory(info.name, info.mode);
    } else if (info.kind === 'symlink') {
      await target.symlink(info.name, await readLinkTarget(zip, entry, file));
    } else {
      await target.file(info.name, await openEntry(zip, entry, file), info.mode);
    }
  });
}

function describe(entry: yauzl.Entry): ArchiveEntry {
  // The upper 16 bits of the external attributes hold st_mode when the zip was made on Unix.
  const unixMode = entry.externalFileAttributes >>> 16;
  const type = unixMode & S_IFMT;
  const kind =
    type === S_IFLNK ? 'symlink' : type === S_IFDIR || entry.fileName.endsWith('/') ? 'directory' : 'file';
  const name = entry.fileName.replace(/\/+$/, '');
  return {
    name,
    kind,
    size: entry.uncompressedSize,
    ...(unixMode !== 0 ? { mode: unixMode & 0o7777 } : {}),
    modified: entry.getLastModDate(),
  };
}

type EntryVisitor = (entry: yauzl.Entry, zip: yauzl.ZipFile) => Promise<void>;

/** Visits the entries one at a time (the next is read only once the visitor is done). */
function walkZip(file: string, visit: EntryVisitor): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) {
        reject(
          new ArchiveError(file, `not a readable zip archive (${error?.message ?? 'no archive'})`, error),
        );
        return;
      }
      let failed = false;
      const fail = (cause: unknown) => {
        if (failed) return;
        failed = true;
        zip.close();
        reject(toArchiveError(file, cause));
      };
      zip.on('error', fail);
      zip.on('end', () => {
        if (!failed) resolve();
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        visit(entry, zip).then(
          () => zip.readEntry(),
          (cause: unknown) => fail(cause),
        );
      });
      zip.readEntry();
    });
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(new ArchiveError(file, `cannot read ${entry.fileName}`, error));
      else resolve(stream);
    });
  });
}

async function readLinkTarget(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string): Promise<string> {
  if (entry.uncompressedSize > MAX_LINK_TARGET) {
    throw new UnsafeEntryError(file, entry.fileName, 'a symlink target longer than 4096 bytes');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, entry, file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** yauzl's name checks become UnsafeEntryError, its other failures an ArchiveError naming the file. */
function toArchiveError(file: string, cause: unknown): Error {
  if (cause instanceof ArtifactError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const unsafe = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec(
    message,
  );
  if (unsafe) return new UnsafeEntryError(file, unsafe[2] ?? '', unsafe[1] ?? 'unsafe name');
  // A filesystem error of the destination (EACCES, ENOSPC…) is about the destination, not the archive.
  if (cause instanceof Error && 'syscall' in cause) return cause;
  return new ArchiveError(file, message, cause);
}
