/**
 * A minimal ustar writer: enough to hand a few small files to Docker's archive endpoint
 * (`PUT /containers/{id}/archive`) without a dependency.
 */
export interface TarEntry {
  /** Relative path inside the archive, e.g. `config.toml` or `certs/ca.pem`. */
  readonly path: string;
  readonly content: string | Uint8Array;
  /** Permission bits; 0o644 by default. */
  readonly mode?: number;
}

const BLOCK = 512;

export function createTar(entries: readonly TarEntry[], mtime: Date = new Date(0)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = typeof entry.content === 'string' ? Buffer.from(entry.content) : Buffer.from(entry.content);
    parts.push(header(entry.path, body.length, entry.mode ?? 0o644, mtime), body, padding(body.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(name: string, size: number, mode: number, mtime: Date): Buffer {
  const block = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name);
  if (nameBytes.length > 100) {
    const slash = name.lastIndexOf('/', name.length - 1);
    const prefix = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (slash <= 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(rest) > 100) {
      throw new Error(`tar entry name too long: ${name}`);
    }
    block.write(rest, 0, 'utf8');
    block.write(prefix, 345, 'utf8');
  } else {
    nameBytes.copy(block, 0);
  }
  writeOctal(block, mode, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, Math.floor(mtime.getTime() / 1000), 136, 12);
  block.fill(0x20, 148, 156);
  block.write('0', 156, 'ascii');
  block.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'binary');
  return block;
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}
