import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@glci/config';
import { type ProjectHistory, writeFileAtomic } from '@glci/daemon';
import type { PipelinePlan } from '@glci/pipeline';
import type { ExecutionState } from '../execution-events.js';
import type { ConfiguredRunner } from '../runner-assignment.js';

/**
 * What a restarted daemon needs to take a pipeline over (`pipelines/<id>/execution.json` in the
 * project's history): the plan as it was made, the commit the mock serves, the run's options, and
 * where every job stands (with the mock's job ids).
 */
export interface SavedExecution {
  readonly version: 1;
  readonly pipelineId: number;
  readonly plan: PipelinePlan;
  readonly sha: string;
  readonly concurrency: number;
  readonly runManual: readonly string[];
  readonly selectJobs: readonly string[];
  /** `glci run --no-registry`: false (unset in files of older daemons: true). */
  readonly registry?: boolean;
  /** `glci run --push-through`. */
  readonly pushThrough?: boolean;
  /** The runners that serve the pipeline (`configuredRunners`), as they were configured at its start. */
  readonly runners?: readonly ConfiguredRunner[];
  /** `glci run --any-runner`. */
  readonly anyRunner?: boolean;
  /** The external registry's host, never its login (which the mock keeps in memory). */
  readonly externalRegistry?: { readonly host: string; readonly plainHttp: boolean };
  readonly state?: ExecutionState;
}

export function executionFile(history: ProjectHistory, pipelineId: number): string {
  return path.join(history.root, 'pipelines', String(pipelineId), 'execution.json');
}

/** The saved execution of a pipeline, or undefined when it has none (or it cannot be read). */
export async function readExecution(
  history: ProjectHistory,
  pipelineId: number,
): Promise<SavedExecution | undefined> {
  try {
    const saved = JSON.parse(await readFile(executionFile(history, pipelineId), 'utf8')) as SavedExecution;
    return saved.version === 1 && saved.pipelineId === pipelineId ? saved : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a pipeline's `execution.json`: at once when created, then the latest state at most every
 * 200 ms (a job change comes with a burst of others), atomically, one write at a time.
 */
export class ExecutionStateFile {
  readonly #file: string;
  readonly #logger: Logger;
  #base: SavedExecution;
  #pending: ExecutionState | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void>;

  constructor(file: string, base: SavedExecution, logger: Logger) {
    this.#file = file;
    this.#base = base;
    this.#logger = logger;
    this.#writing = this.#write(base);
  }

  save(state: ExecutionState): void {
    this.#pending = state;
    this.#timer ??= setTimeout(() => this.#flush(), 200);
  }

  /** Writes what is pending and waits for it. */
  async finish(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#flush();
    await this.#writing;
  }

  #flush(): void {
    this.#timer = undefined;
    const state = this.#pending;
    if (!state) return;
    this.#pending = undefined;
    this.#base = { ...this.#base, state };
    const snapshot = this.#base;
    this.#writing = this.#writing.then(() => this.#write(snapshot));
  }

  async #write(saved: SavedExecution): Promise<void> {
    try {
      await writeFileAtomic(this.#file, JSON.stringify(saved), 0o600);
    } catch (error) {
      this.#logger.warn('could not save the pipeline state', {
        pipelineId: saved.pipelineId,
        error: String(error),
      });
    }
  }
}
