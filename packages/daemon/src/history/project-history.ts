import { access, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@glci/config';
import { writeFileAtomic } from './atomic-write.js';
import { JobFiles } from './job-files.js';
import { checkId, JOBS_DIR, PIPELINE_FILE, PIPELINES_DIR, PROJECT_FILE } from './paths.js';
import {
  isActivePipeline,
  type NewPipeline,
  type PipelineRecord,
  pipelineRecordSchema,
} from './pipeline-record.js';

export class PipelineNotFoundError extends Error {
  constructor(
    readonly pipelineId: number,
    readonly projectDir: string,
  ) {
    super(`pipeline ${pipelineId} is not in the history of ${projectDir}`);
    this.name = 'PipelineNotFoundError';
  }
}

export class CorruptRecordError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} is not a valid pipeline record: ${reason}`);
    this.name = 'CorruptRecordError';
  }
}

export interface PruneOptions {
  /** Keep this many of the newest pipelines. */
  readonly keepLast?: number;
  /** Remove pipelines created longer ago than this. */
  readonly olderThanMs?: number;
  /** Pipelines never removed, whatever the rules say (the one that just ended, being shown). */
  readonly spare?: readonly number[];
}

interface ProjectHistoryOptions {
  readonly dir: string;
  readonly key: string;
  readonly root: string;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly allocateId: () => Promise<number>;
}

/** One project's pipelines: records, traces and artifacts (get one from `HistoryStore.project`). */
export class ProjectHistory {
  /** The project directory (absolute, symlinks resolved). */
  readonly dir: string;
  /** Its directory name under `projects/`. */
  readonly key: string;
  /** `$GLCI_HOME/projects/<key>`. */
  readonly root: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #allocateId: () => Promise<number>;
  /** Updates of one pipeline run one after the other (read, change, replace). */
  readonly #updates = new Map<number, Promise<unknown>>();

  constructor(options: ProjectHistoryOptions) {
    this.dir = options.dir;
    this.key = options.key;
    this.root = options.root;
    this.#logger = options.logger.child({ project: options.key });
    this.#now = options.now;
    this.#allocateId = options.allocateId;
  }

  /** Creates a pipeline with a new id (status `created` unless given) and writes its record. */
  async createPipeline(init: NewPipeline): Promise<PipelineRecord> {
    const id = await this.#allocateId();
    const record = pipelineRecordSchema.parse({
      ...init,
      version: 1,
      id,
      projectDir: this.dir,
      status: init.status ?? 'created',
      createdAt: this.#now().toISOString(),
    });
    await this.#ensureProjectFile();
    await this.savePipeline(record);
    this.#logger.debug('pipeline created', { pipelineId: id });
    return record;
  }

  /** Replaces a pipeline's record (validated first). */
  async savePipeline(record: PipelineRecord): Promise<void> {
    const valid = pipelineRecordSchema.parse(record);
    if (valid.projectDir !== this.dir) {
      throw new Error(`pipeline ${valid.id} belongs to ${valid.projectDir}, not to ${this.dir}`);
    }
    await writeFileAtomic(this.#recordFile(valid.id), `${JSON.stringify(valid, null, 2)}\n`);
  }

  /**
   * Reads, changes and replaces a record. Updates of one pipeline in this process run one at a
   * time, so concurrent job events never lose each other's changes.
   */
  async updatePipeline(
    id: number,
    change: (record: PipelineRecord) => PipelineRecord,
  ): Promise<PipelineRecord> {
    const previous = this.#updates.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const current = await this.getPipeline(id);
        if (!current) throw new PipelineNotFoundError(id, this.dir);
        const updated = change(structuredClone(current));
        await this.savePipeline(updated);
        return updated;
      });
    this.#updates.set(id, next);
    try {
      return await next;
    } finally {
      if (this.#updates.get(id) === next) this.#updates.delete(id);
    }
  }

  /** The record, or `undefined` when this project has no such pipeline. */
  async getPipeline(id: number): Promise<PipelineRecord | undefined> {
    checkId('pipeline id', id);
    const file = this.#recordFile(id);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new CorruptRecordError(file, (error as Error).message);
    }
    const parsed = pipelineRecordSchema.safeParse(data);
    if (!parsed.success) throw new CorruptRecordError(file, parsed.error.issues[0]?.message ?? 'invalid');
    return parsed.data;
  }

  /** Pipeline ids on disk, newest (highest) first. */
  async pipelineIds(): Promise<number[]> {
    const names = await readdir(path.join(this.root, PIPELINES_DIR)).catch(() => [] as string[]);
    return names
      .map(Number)
      .filter((id) => Number.isSafeInteger(id) && id > 0)
      .sort((a, b) => b - a);
  }

  /** Records, newest first; unreadable ones are skipped with a warning. */
  async listPipelines(options: { limit?: number } = {}): Promise<PipelineRecord[]> {
    const records: PipelineRecord[] = [];
    for (const id of await this.pipelineIds()) {
      if (options.limit !== undefined && records.length >= options.limit) break;
      try {
        const record = await this.getPipeline(id);
        if (record) records.push(record);
      } catch (error) {
        this.#logger.warn('skipping an unreadable pipeline record', { pipelineId: id, error: String(error) });
      }
    }
    return records;
  }

  /**
   * The newest pipeline `glci run` started, if any: a child pipeline gets a higher id than its
   * parent, yet "the last run" is the parent (with its children shown through it).
   */
  async latestPipeline(): Promise<PipelineRecord | undefined> {
    let newest: PipelineRecord | undefined;
    for (const id of await this.pipelineIds()) {
      const record = await this.getPipeline(id).catch(() => undefined);
      if (!record) continue;
      newest ??= record;
      if (record.parentId === undefined) return record;
    }
    return newest;
  }

  /** A job's files: its trace, artifacts archive and report archives. */
  job(pipelineId: number, jobId: number): JobFiles {
    checkId('pipeline id', pipelineId);
    checkId('job id', jobId);
    return new JobFiles(path.join(this.#pipelineDir(pipelineId), JOBS_DIR, String(jobId)));
  }

  /** Removes a pipeline with all its files. */
  async removePipeline(id: number): Promise<void> {
    checkId('pipeline id', id);
    await rm(this.#pipelineDir(id), { recursive: true, force: true });
  }

  /**
   * Removes old pipelines: beyond the newest `keepLast`, or created before `olderThanMs` ago.
   * Pipelines still going are never removed. Returns the removed ids.
   */
  async prune(options: PruneOptions): Promise<number[]> {
    const removed: number[] = [];
    const cutoff =
      options.olderThanMs === undefined ? undefined : this.#now().getTime() - options.olderThanMs;
    const ids = await this.pipelineIds();
    for (const [index, id] of ids.entries()) {
      let record: PipelineRecord | undefined;
      try {
        record = await this.getPipeline(id);
      } catch {
        record = undefined; // an unreadable record is removed like an old one
      }
      if (options.spare?.includes(id)) continue;
      if (record && isActivePipeline(record.status)) continue;
      const beyondKeep = options.keepLast !== undefined && index >= options.keepLast;
      const tooOld = cutoff !== undefined && (!record || Date.parse(record.createdAt) < cutoff);
      if (beyondKeep || tooOld) {
        await this.removePipeline(id);
        removed.push(id);
      }
    }
    if (removed.length > 0) this.#logger.info('pruned pipeline history', { removed });
    return removed;
  }

  #pipelineDir(id: number): string {
    return path.join(this.root, PIPELINES_DIR, String(id));
  }

  #recordFile(id: number): string {
    return path.join(this.#pipelineDir(id), PIPELINE_FILE);
  }

  async #ensureProjectFile(): Promise<void> {
    const file = path.join(this.root, PROJECT_FILE);
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists)
      await writeFileAtomic(file, `${JSON.stringify({ dir: this.dir, key: this.key }, null, 2)}\n`);
  }
}
