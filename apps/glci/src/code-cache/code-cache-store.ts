import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * V8 code caches of the bundled CLI's files, one directory per build:
 *
 *   $GLCI_HOME/code-cache/
 *     <bundle hash>-<node version>-<arch>/   one build of the bundle on one Node
 *       cli.cjs.v8                           the cache of dist/cli.cjs
 *       chunks/chunk-<hash>.cjs.v8           the cache of a chunk
 *
 * A file is a header line and V8's data:
 *   `glci-v8-cache-1 <source size> <source mtime ms> <sha1 of the data>\n<data>`
 * V8 checks that cached data was made by the same V8 with the same flags for a source of the same
 * length, but not its content (its own checksum runs only in debug builds), so the header ties the
 * data to the source file (size and mtime: a file edited in place after the build is not served
 * stale code) and carries a checksum (a damaged file is not handed to V8). Anything that does not
 * check out reads as missing, and the caller writes a new one.
 */
export interface CodeCacheStore {
  /** The cached data for `name` (a path relative to the bundle) made from `source`, or undefined. */
  read(name: string, source: SourceStamp): Buffer | undefined;
  /** Stores `data` for `name`; atomic (a temporary file renamed over the old one). Never throws. */
  write(name: string, source: SourceStamp, data: Buffer): void;
}

/** What identifies the version of a source file a cache was made from. */
export interface SourceStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

const MAGIC = 'glci-v8-cache-1';

export function sourceStamp(file: string): SourceStamp {
  const stat = statSync(file);
  return { size: stat.size, mtimeMs: Math.trunc(stat.mtimeMs) };
}

/**
 * The store for one build in `dir` (`$GLCI_HOME/code-cache/<build>`). The first write of a build
 * removes the other builds' directories beside it: an upgraded glci never reads them again, and a
 * second glci installed beside this one only pays one slower start to write its own again.
 */
export function createCodeCacheStore(dir: string): CodeCacheStore {
  let prepared = false;
  const prepare = () => {
    if (prepared) return;
    prepared = true;
    mkdirSync(dir, { recursive: true });
    const parent = path.dirname(dir);
    for (const entry of readdirSync(parent)) {
      if (entry !== path.basename(dir)) rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  };
  return {
    read(name, source) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path.join(dir, `${name}.v8`));
      } catch {
        return undefined;
      }
      const headerEnd = bytes.indexOf(0x0a);
      if (headerEnd < 0) return undefined;
      const [magic, size, mtime, checksum] = bytes.subarray(0, headerEnd).toString('latin1').split(' ');
      if (magic !== MAGIC) return undefined;
      if (Number(size) !== source.size || Number(mtime) !== source.mtimeMs) return undefined;
      const data = bytes.subarray(headerEnd + 1);
      if (sha1(data) !== checksum) return undefined;
      return data;
    },
    write(name, source, data) {
      const file = path.join(dir, `${name}.v8`);
      const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        prepare();
        mkdirSync(path.dirname(file), { recursive: true });
        const header = `${MAGIC} ${source.size} ${source.mtimeMs} ${sha1(data)}\n`;
        writeFileSync(temporary, Buffer.concat([Buffer.from(header, 'latin1'), data]));
        renameSync(temporary, file);
      } catch {
        // The cache only saves time: an unwritable GLCI_HOME costs the next start its speed-up.
        try {
          rmSync(temporary, { force: true });
        } catch {
          // Its directory could not be made: there is no temporary file to remove.
        }
      }
    },
  };
}

function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}
