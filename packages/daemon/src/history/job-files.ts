import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isTemporaryName, writeFileAtomic, writeStreamAtomic } from './atomic-write.js';
import { ARCHIVE_FILE, checkNamePart, REPORTS_DIR, TRACE_FILE } from './paths.js';

/** A stored artifact archive of a job. */
export interface StoredArtifact {
  /** `archive` for `artifacts:paths`, else the report type (`junit`, `dotenv`, …). */
  readonly type: string;
  /** How the runner packed it: `zip`, `gzip`, `raw`, `zipzstd`, `tarzstd`. */
  readonly format: string;
  readonly file: string;
  readonly size: number;
}

/** Appends to a trace while its job runs. */
export interface TraceWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** The files of one job in the history (get it from `ProjectHistory.job`). */
export class JobFiles {
  constructor(readonly dir: string) {}

  get tracePath(): string {
    return path.join(this.dir, TRACE_FILE);
  }

  get archivePath(): string {
    return path.join(this.dir, ARCHIVE_FILE);
  }

  reportPath(type: string, format: string): string {
    return path.join(
      this.dir,
      REPORTS_DIR,
      `${checkNamePart('report type', type)}.${checkNamePart('format', format)}`,
    );
  }

  /** Opens the trace for appending (created if missing): the raw bytes as they arrive. */
  async openTrace(): Promise<TraceWriter> {
    await mkdir(this.dir, { recursive: true });
    const handle: FileHandle = await open(this.tracePath, 'a', 0o644);
    return {
      write: async (chunk) => {
        await handle.write(chunk);
      },
      close: () => handle.close(),
    };
  }

  /** Replaces the whole trace at once (e.g. the final trace after a crash recovery). */
  async writeTrace(content: Uint8Array): Promise<void> {
    await writeFileAtomic(this.tracePath, content);
  }

  /** The trace as stored; empty when the job wrote none. */
  async readTrace(): Promise<Buffer> {
    return readFile(this.tracePath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
  }

  /** The trace as a stream, from `offset`; an empty stream when the job wrote none. */
  async traceStream(offset = 0): Promise<Readable> {
    const exists = await stat(this.tracePath).then(
      () => true,
      () => false,
    );
    return exists ? createReadStream(this.tracePath, { start: offset }) : Readable.from([]);
  }

  /**
   * Stores an artifact archive as it was uploaded: `archive` (the `artifacts:paths` zip) as
   * `artifacts.zip`, a report as `reports/<type>.<format>`. Replaces an earlier one atomically.
   */
  async writeArtifact(
    artifact: { type: string; format: string },
    content: Uint8Array | Readable,
  ): Promise<StoredArtifact> {
    const file =
      artifact.type === 'archive' ? this.archivePath : this.reportPath(artifact.type, artifact.format);
    if (artifact.type === 'archive' && artifact.format !== 'zip') {
      throw new Error(`the artifacts archive must be a zip, not ${JSON.stringify(artifact.format)}`);
    }
    let size: number;
    if (content instanceof Uint8Array) {
      await writeFileAtomic(file, content);
      size = content.length;
    } else {
      size = await writeStreamAtomic(file, content);
    }
    return { type: artifact.type, format: artifact.format, file, size };
  }

  /** The stored archives: `archive` first, then the reports by type. */
  async listArtifacts(): Promise<StoredArtifact[]> {
    const found: StoredArtifact[] = [];
    const archive = await stat(this.archivePath).catch(() => undefined);
    if (archive?.isFile()) {
      found.push({ type: 'archive', format: 'zip', file: this.archivePath, size: archive.size });
    }
    const reportsDir = path.join(this.dir, REPORTS_DIR);
    for (const name of (await readdir(reportsDir).catch(() => [] as string[])).sort()) {
      if (isTemporaryName(name)) continue;
      const dot = name.indexOf('.');
      if (dot <= 0) continue;
      const file = path.join(reportsDir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      found.push({ type: name.slice(0, dot), format: name.slice(dot + 1), file, size: info.size });
    }
    return found;
  }
}
