import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@glci/config';
import { withLock } from '../process-lock.js';
import { writeFileAtomic } from './atomic-write.js';
import {
  canonicalProjectDir,
  PIPELINE_ID_FILE,
  PIPELINES_DIR,
  PROJECT_FILE,
  PROJECTS_DIR,
  projectKey,
} from './paths.js';
import type { PipelineRecord } from './pipeline-record.js';
import { ProjectHistory } from './project-history.js';

export interface HistoryStoreOptions {
  /** `$GLCI_HOME`; the history lives under `projects/` there. */
  readonly glciHome: string;
  readonly logger: Logger;
  /** Injected for tests; defaults to the system clock. */
  readonly now?: () => Date;
}

/** A project that has history, as `project.json` describes it. */
export interface ProjectInfo {
  readonly key: string;
  readonly dir: string;
}

/**
 * The pipeline history of one user (see `paths.ts` for the layout): the daemon writes it, `glci
 * log` and `glci artifacts` read it. Pipeline ids come from one counter per user, so an id names a
 * pipeline without its project.
 */
export class HistoryStore {
  readonly glciHome: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #projects = new Map<string, ProjectHistory>();

  constructor(options: HistoryStoreOptions) {
    this.glciHome = options.glciHome;
    this.#logger = options.logger.child({ module: 'history' });
    this.#now = options.now ?? (() => new Date());
  }

  /** The history of the project in `projectDir` (nothing is written until a pipeline is). */
  project(projectDir: string): ProjectHistory {
    const dir = canonicalProjectDir(projectDir);
    const key = projectKey(dir);
    let project = this.#projects.get(key);
    if (!project) {
      project = new ProjectHistory({
        dir,
        key,
        root: path.join(this.glciHome, PROJECTS_DIR, key),
        logger: this.#logger,
        now: this.#now,
        allocateId: () => this.allocatePipelineId(),
      });
      this.#projects.set(key, project);
    }
    return project;
  }

  /**
   * The next pipeline id: `pipeline-id` read, incremented and replaced under a lock between
   * processes, so two daemons (or a daemon and a test) never hand out the same id.
   */
  async allocatePipelineId(): Promise<number> {
    const file = path.join(this.glciHome, PIPELINE_ID_FILE);
    await mkdir(this.glciHome, { recursive: true });
    return withLock(file, { waitMs: 10_000 }, async () => {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '0';
        throw error;
      });
      const last = Number(text.trim());
      if (!Number.isSafeInteger(last) || last < 0) {
        throw new Error(`${file} holds "${text.trim()}", not a pipeline id: remove it to start again at 1`);
      }
      const next = Math.max(last, await this.#highestStoredId()) + 1;
      await writeFileAtomic(file, `${next}\n`);
      return next;
    });
  }

  /** Every project that has a history directory, sorted by key. */
  async projects(): Promise<ProjectInfo[]> {
    const root = path.join(this.glciHome, PROJECTS_DIR);
    const keys = await readdir(root).catch(() => [] as string[]);
    const found: ProjectInfo[] = [];
    for (const key of keys.sort()) {
      try {
        const info = JSON.parse(await readFile(path.join(root, key, PROJECT_FILE), 'utf8')) as ProjectInfo;
        if (typeof info.dir === 'string') found.push({ key, dir: info.dir });
      } catch {
        this.#logger.debug('skipping a project directory without a readable project.json', { key });
      }
    }
    return found;
  }

  /** Finds a pipeline by id in any project. */
  async findPipeline(id: number): Promise<{ project: ProjectHistory; record: PipelineRecord } | undefined> {
    for (const info of await this.projects()) {
      const project = this.project(info.dir);
      const record = await project.getPipeline(id);
      if (record) return { project, record };
    }
    return undefined;
  }

  /**
   * The highest id on disk, so a lost or reset counter file never hands out an id that a stored
   * pipeline already has.
   */
  async #highestStoredId(): Promise<number> {
    let highest = 0;
    const root = path.join(this.glciHome, PROJECTS_DIR);
    for (const key of await readdir(root).catch(() => [] as string[])) {
      for (const name of await readdir(path.join(root, key, PIPELINES_DIR)).catch(() => [] as string[])) {
        const id = Number(name);
        if (Number.isSafeInteger(id) && id > highest) highest = id;
      }
    }
    return highest;
  }
}
