import { pack } from 'tar-stream';

/**
 * Archives for Docker's archive and build endpoints (`PUT /containers/{id}/archive`,
 * `POST /build`): a few small in-memory files, written with `tar-stream`.
 */
export interface TarEntry {
  /** Relative path inside the archive, e.g. `config.toml` or `certs/ca.pem`. */
  readonly path: string;
  readonly content: string | Uint8Array;
  /** Permission bits; 0o644 by default. */
  readonly mode?: number;
}

/** The whole archive in one buffer; entries are owned by root with `mtime` (the epoch by default). */
export async function createTar(entries: readonly TarEntry[], mtime: Date = new Date(0)): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const body = Buffer.from(entry.content);
    archive.entry(
      { name: entry.path, size: body.length, mode: entry.mode ?? 0o644, mtime, uid: 0, gid: 0 },
      body,
    );
  }
  archive.finalize();
  return done;
}
