import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createSilentLogger } from '@glci/config';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnTs, writeScript } from '../test-support/spawn-ts.js';
import { HistoryStore } from './history-store.js';
import { projectKey } from './paths.js';
import type { PipelineRecord } from './pipeline-record.js';
import { CorruptRecordError, PipelineNotFoundError } from './project-history.js';

function sandbox() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-history-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const glciHome = path.join(root, 'home', '.glci');
  const projectDir = path.join(root, 'work', 'app');
  mkdirSync(projectDir, { recursive: true });
  return { root, glciHome, projectDir };
}

function clock(start = Date.parse('2026-11-23T08:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const logger = createSilentLogger();

describe('HistoryStore', () => {
  it('creates, reads and updates pipeline records under projects/<key>/pipelines/<id>', async () => {
    const { glciHome, projectDir } = sandbox();
    const time = clock();
    const store = new HistoryStore({ glciHome, logger, now: time.now });
    const project = store.project(projectDir);
    const created = await project.createPipeline({
      ref: 'main',
      sha: '5f0c6a1e',
      context: 'branch=main',
      jobs: [{ id: 1, name: 'build', stage: 'build', status: 'created' }],
    });
    expect(created).toEqual({
      version: 1,
      id: 1,
      projectDir,
      ref: 'main',
      sha: '5f0c6a1e',
      context: 'branch=main',
      status: 'created',
      createdAt: '2026-11-23T08:00:00.000Z',
      jobs: [{ id: 1, name: 'build', stage: 'build', status: 'created' }],
    });
    const file = path.join(glciHome, 'projects', projectKey(projectDir), 'pipelines', '1', 'pipeline.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(created);
    expect(
      JSON.parse(readFileSync(path.join(glciHome, 'projects', project.key, 'project.json'), 'utf8')),
    ).toEqual({
      dir: projectDir,
      key: project.key,
    });

    const updated = await project.updatePipeline(1, (record) => ({
      ...record,
      status: 'failed',
      jobs: record.jobs.map((job) => ({
        ...job,
        status: 'failed',
        exitCode: 2,
        failureReason: 'script_failure',
        durationMs: 1500,
      })),
    }));
    expect(await project.getPipeline(1)).toEqual(updated);
    expect(updated.jobs[0]).toMatchObject({ status: 'failed', exitCode: 2, failureReason: 'script_failure' });
  });

  it('keeps concurrent updates of one pipeline (each sees the previous one)', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    const jobs = Array.from({ length: 20 }, (_, index) => ({
      id: index + 1,
      name: `job ${index + 1}`,
      stage: 'test',
      status: 'pending' as const,
    }));
    const { id } = await project.createPipeline({ jobs });
    await Promise.all(
      jobs.map((job) =>
        project.updatePipeline(id, (record) => ({
          ...record,
          jobs: record.jobs.map((entry) => (entry.id === job.id ? { ...entry, status: 'success' } : entry)),
        })),
      ),
    );
    const record = await project.getPipeline(id);
    expect(record?.jobs.map((job) => job.status)).toEqual(jobs.map(() => 'success'));
  });

  it('rejects an invalid record and leaves the stored one alone', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    const record = await project.createPipeline({ jobs: [] });
    await expect(
      project.savePipeline({ ...record, status: 'exploded' } as unknown as PipelineRecord),
    ).rejects.toThrow();
    expect(await project.getPipeline(record.id)).toEqual(record);
    await expect(project.updatePipeline(999, (r) => r)).rejects.toBeInstanceOf(PipelineNotFoundError);
  });

  it('reports a corrupt record by its file, and listing skips it', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    await project.createPipeline({ jobs: [] });
    const second = await project.createPipeline({ jobs: [] });
    const file = path.join(project.root, 'pipelines', String(second.id), 'pipeline.json');
    writeFileSync(file, '{"version": 1, "id": ');
    await expect(project.getPipeline(second.id)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(project.getPipeline(second.id)).rejects.toThrow(file);
    expect((await project.listPipelines()).map((record) => record.id)).toEqual([1]);
  });

  it('hands out ids unique per user across projects, newest first in listings', async () => {
    const { root, glciHome, projectDir } = sandbox();
    const other = path.join(root, 'work', 'other');
    mkdirSync(other);
    const store = new HistoryStore({ glciHome, logger });
    const app = store.project(projectDir);
    const ids = [
      (await app.createPipeline({ jobs: [] })).id,
      (await store.project(other).createPipeline({ jobs: [] })).id,
      (await app.createPipeline({ jobs: [] })).id,
    ];
    expect(ids).toEqual([1, 2, 3]);
    expect((await app.listPipelines()).map((record) => record.id)).toEqual([3, 1]);
    expect((await app.latestPipeline())?.id).toBe(3);
    expect((await store.findPipeline(2))?.project.dir).toBe(other);
    expect(await store.findPipeline(42)).toBeUndefined();
    expect((await store.projects()).map((project) => project.dir).sort()).toEqual([projectDir, other].sort());
  });

  it("takes the newest parent pipeline as the latest, not its child's higher id", async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    const parent = await project.createPipeline({ jobs: [] });
    await project.createPipeline({ jobs: [], parentId: parent.id });
    expect((await project.latestPipeline())?.id).toBe(parent.id);
  });

  it('never reuses an id of a stored pipeline, even when the counter file is lost', async () => {
    const { glciHome, projectDir } = sandbox();
    const store = new HistoryStore({ glciHome, logger });
    const project = store.project(projectDir);
    await project.createPipeline({ jobs: [] });
    await project.createPipeline({ jobs: [] });
    rmSync(path.join(glciHome, 'pipeline-id'));
    expect((await project.createPipeline({ jobs: [] })).id).toBe(3);
    writeFileSync(path.join(glciHome, 'pipeline-id'), 'garbage');
    await expect(store.allocatePipelineId()).rejects.toThrow(
      /pipeline-id holds "garbage", not a pipeline id/,
    );
  });

  it('hands out distinct ids to several processes allocating at once', async () => {
    const { root, glciHome } = sandbox();
    const module = new URL('./history-store.ts', import.meta.url).pathname;
    const config = new URL('../../../config/src/index.ts', import.meta.url).pathname;
    const script = writeScript(
      root,
      'allocate.mts',
      `import { HistoryStore } from ${JSON.stringify(module)};
import { createSilentLogger } from ${JSON.stringify(config)};
const store = new HistoryStore({ glciHome: process.argv[2], logger: createSilentLogger() });
const ids = [];
for (let i = 0; i < 10; i++) ids.push(await store.allocatePipelineId());
process.stdout.write(JSON.stringify(ids));
`,
    );
    const runs = Array.from({ length: 3 }, () => {
      const child = spawnTs(script, [glciHome]);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      return new Promise<number[]>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
        ),
      );
    });
    const all = (await Promise.all(runs)).flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
  });

  it('gives two checkouts with the same name different, readable keys, and a symlink the same', () => {
    const { root, projectDir } = sandbox();
    const twin = path.join(root, 'elsewhere', 'app');
    mkdirSync(twin, { recursive: true });
    const link = path.join(root, 'link-to-app');
    symlinkSync(projectDir, link);
    expect(projectKey(projectDir)).toMatch(/^app-[0-9a-f]{12}$/);
    expect(projectKey(twin)).toMatch(/^app-[0-9a-f]{12}$/);
    expect(projectKey(twin)).not.toBe(projectKey(projectDir));
    expect(projectKey(link)).toBe(projectKey(projectDir));
    expect(projectKey('/')).toMatch(/^root-[0-9a-f]{12}$/);
    expect(projectKey('/srv/My Project (copy)')).toMatch(/^My-Project-copy-[0-9a-f]{12}$/);
  });
});

describe('job files', () => {
  it('appends a trace as it arrives and reads back the raw bytes', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    const { id } = await project.createPipeline({ jobs: [] });
    const job = project.job(id, 7);
    expect(await job.readTrace()).toEqual(Buffer.alloc(0));
    const writer = await job.openTrace();
    const raw = [
      Buffer.from('section_start:1:x\r\x1b[0K'),
      Buffer.from([0xe2, 0x9c]),
      Buffer.from([0x94, 0x0a]),
    ];
    for (const chunk of raw) await writer.write(chunk);
    await writer.close();
    expect(await job.readTrace()).toEqual(Buffer.concat(raw));
    const tail: Buffer[] = [];
    for await (const chunk of await job.traceStream(raw[0]!.length)) tail.push(chunk as Buffer);
    expect(Buffer.concat(tail)).toEqual(Buffer.concat(raw.slice(1)));
    await job.writeTrace(Buffer.from('replaced'));
    expect((await job.readTrace()).toString()).toBe('replaced');
  });

  it('stores the artifacts archive and report archives beside the trace', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    const { id } = await project.createPipeline({ jobs: [] });
    const job = project.job(id, 3);
    await job.writeArtifact(
      { type: 'archive', format: 'zip' },
      Readable.from([Buffer.from('PK\x03\x04zip')]),
    );
    await job.writeArtifact({ type: 'junit', format: 'gzip' }, Buffer.from('gz'));
    await job.writeArtifact({ type: 'dotenv', format: 'gzip' }, Buffer.from('gz2'));
    expect(await job.listArtifacts()).toEqual([
      { type: 'archive', format: 'zip', file: path.join(job.dir, 'artifacts.zip'), size: 7 },
      { type: 'dotenv', format: 'gzip', file: path.join(job.dir, 'reports', 'dotenv.gzip'), size: 3 },
      { type: 'junit', format: 'gzip', file: path.join(job.dir, 'reports', 'junit.gzip'), size: 2 },
    ]);
    // No temporary file is left behind.
    expect(readdirSync(path.join(job.dir, 'reports')).sort()).toEqual(['dotenv.gzip', 'junit.gzip']);
  });

  it('refuses names that would leave the job directory', async () => {
    const { glciHome, projectDir } = sandbox();
    const project = new HistoryStore({ glciHome, logger }).project(projectDir);
    expect(() => project.job(1, -1)).toThrow(/invalid job id "-1"/);
    expect(() => project.job(1.5, 1)).toThrow(/invalid pipeline id "1.5"/);
    const job = project.job(1, 1);
    await expect(job.writeArtifact({ type: '../../x', format: 'gzip' }, Buffer.from(''))).rejects.toThrow(
      /invalid report type "..\/..\/x"/,
    );
    await expect(job.writeArtifact({ type: 'junit', format: 'gz/../..' }, Buffer.from(''))).rejects.toThrow(
      /invalid format/,
    );
    await expect(job.writeArtifact({ type: 'archive', format: 'gzip' }, Buffer.from(''))).rejects.toThrow(
      /must be a zip/,
    );
  });
});

describe('prune', () => {
  it('keeps the newest N and anything still running, and removes by age', async () => {
    const { glciHome, projectDir } = sandbox();
    const time = clock();
    const project = new HistoryStore({ glciHome, logger, now: time.now }).project(projectDir);
    const make = async (status: PipelineRecord['status']) => {
      const record = await project.createPipeline({ jobs: [], status });
      time.advance(60_000);
      return record.id;
    };
    const running = await make('running');
    const old = await make('success');
    const mid = await make('failed');
    const newest = await make('success');
    const trace = await project.job(old, 1).openTrace();
    await trace.write(Buffer.from('x'));
    await trace.close();

    expect(await project.prune({ keepLast: 2 })).toEqual([old]);
    expect(await project.pipelineIds()).toEqual([newest, mid, running]);
    expect(() => statSync(path.join(project.root, 'pipelines', String(old)))).toThrow();

    // Created at minutes 0 (running), 2 (mid) and 3 (newest); now it is minute 14.
    time.advance(10 * 60_000);
    expect(await project.prune({ olderThanMs: 11.5 * 60_000 })).toEqual([mid]);
    expect(await project.prune({ keepLast: 0, spare: [newest] })).toEqual([]);
    expect(await project.pipelineIds()).toEqual([newest, running]);
  });
});
