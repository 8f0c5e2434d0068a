import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from './clock.js';
import { PayloadTooLargeError } from './errors.js';

const META_SUFFIX = '.meta.json';

export interface ArtifactRecord {
  readonly jobId: number;
  /** `archive` for the job's artifacts; report types (`junit`, `dotenv`, …) otherwise. */
  readonly type: string;
  readonly format: string;
  readonly filename: string;
  readonly size: number;
  readonly file: string;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** A `dotenv` report's variables, in file order (parsed when it was uploaded). */
  readonly variables?: readonly (readonly [string, string])[];
}

export interface SaveOptions {
  readonly maxBytes: number;
  /**
   * Reads the received file before it becomes visible; what it returns is kept on the record, and
   * if it throws the upload is discarded and the error is the upload's answer.
   */
  readonly inspect?: (file: string) => Promise<Pick<ArtifactRecord, 'variables'>>;
}

export interface ArtifactMeta {
  readonly type: string;
  readonly format: string;
  readonly filename: string;
  /** Seconds; `undefined` keeps the artifact for the life of the store. */
  readonly expireIn: number | undefined;
}

/**
 * Job artifacts on disk, streamed in and out (never whole in memory). `save` stops and throws
 * `PayloadTooLargeError` as soon as more than `maxBytes` arrived; a new upload of the same job and
 * type replaces the previous one atomically. Expired artifacts are not found and get deleted.
 */
export interface ArtifactStore {
  save(jobId: number, meta: ArtifactMeta, source: Readable, options: SaveOptions): Promise<ArtifactRecord>;
  find(jobId: number, type?: string): ArtifactRecord | undefined;
  list(jobId: number): readonly ArtifactRecord[];
  open(record: ArtifactRecord): Readable;
}

/**
 * Layout:
 * ```
 * <root>/
 *   tmp/<uuid>                        uploads in progress
 *   jobs/<jobId>/<type>               one file per artifact type
 *   jobs/<jobId>/<type>.meta.json     its record (format, name, size, expiry, dotenv variables),
 *                                     written after the file, read back at construction
 * ```
 */
export class FsArtifactStore implements ArtifactStore {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #records = new Map<number, Map<string, ArtifactRecord>>();

  constructor(options: { root: string; clock: Clock }) {
    this.#root = options.root;
    this.#clock = options.clock;
    this.#loadRecords();
  }

  /** The records of artifacts stored before a restart (a file without its record is ignored). */
  #loadRecords(): void {
    const jobsDir = path.join(this.#root, 'jobs');
    let jobDirs: string[];
    try {
      jobDirs = readdirSync(jobsDir);
    } catch {
      return;
    }
    for (const jobDir of jobDirs) {
      for (const name of readdirSync(path.join(jobsDir, jobDir))) {
        if (!name.endsWith(META_SUFFIX)) continue;
        try {
          const saved = JSON.parse(readFileSync(path.join(jobsDir, jobDir, name), 'utf8')) as ArtifactRecord;
          const record = { ...saved, file: path.join(jobsDir, jobDir, encodeURIComponent(saved.type)) };
          if (record.jobId !== Number(jobDir)) continue;
          this.#remember(record);
        } catch {
          // A torn record (crash during its write): the artifact is as good as never uploaded.
        }
      }
    }
  }

  #remember(record: ArtifactRecord): void {
    let records = this.#records.get(record.jobId);
    if (!records) {
      records = new Map();
      this.#records.set(record.jobId, records);
    }
    records.set(record.type, record);
  }

  async save(
    jobId: number,
    meta: ArtifactMeta,
    source: Readable,
    options: SaveOptions,
  ): Promise<ArtifactRecord> {
    const tmpDir = path.join(this.#root, 'tmp');
    const jobDir = path.join(this.#root, 'jobs', String(jobId));
    await mkdir(tmpDir, { recursive: true });
    await mkdir(jobDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > options.maxBytes) {
          callback(new PayloadTooLargeError(`artifact exceeds ${options.maxBytes} bytes`, options.maxBytes));
        } else callback(null, chunk);
      },
    });
    try {
      await pipeline(source, counter, createWriteStream(tmp));
      const inspected = options.inspect ? await options.inspect(tmp) : {};
      const file = path.join(jobDir, encodeURIComponent(meta.type));
      await rename(tmp, file);
      const now = this.#clock.now();
      const record: ArtifactRecord = {
        jobId,
        type: meta.type,
        format: meta.format,
        filename: meta.filename,
        size,
        file,
        createdAt: now,
        expiresAt: meta.expireIn === undefined ? undefined : now + meta.expireIn * 1000,
        ...inspected,
      };
      await writeFile(`${file}${META_SUFFIX}`, JSON.stringify(record));
      this.#remember(record);
      return record;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  find(jobId: number, type = 'archive'): ArtifactRecord | undefined {
    const record = this.#records.get(jobId)?.get(type);
    if (record?.expiresAt !== undefined && record.expiresAt <= this.#clock.now()) {
      this.#records.get(jobId)?.delete(type);
      void rm(record.file, { force: true });
      void rm(`${record.file}${META_SUFFIX}`, { force: true });
      return undefined;
    }
    return record;
  }

  list(jobId: number): readonly ArtifactRecord[] {
    return [...(this.#records.get(jobId)?.keys() ?? [])]
      .map((type) => this.find(jobId, type))
      .filter((record): record is ArtifactRecord => record !== undefined);
  }

  open(record: ArtifactRecord): Readable {
    return createReadStream(record.file);
  }
}
