import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { HistoryStore, type JobRecord, type ProjectHistory } from '@glci/daemon';
import yazl from 'yazl';
import type { CliSandbox } from './run-glci.js';

const E = '\x1b';
const CLEAR = `\r${E}[0K`;

/** A job log as gitlab-runner writes it: a folded runner section, the script's section, the result. */
export function runnerTrace(script: readonly string[], result = `${E}[32;1mJob succeeded${E}[0;m`): string {
  return [
    `${E}[0KRunning with gitlab-runner 17.9.0 (c4cbe9dd)${E}[0;m\n`,
    `section_start:1732350000:get_sources${CLEAR}${E}[0K${E}[36;1mGetting source from Git repository${E}[0;m${E}[0;m\n`,
    `${E}[32;1mFetching changes with git depth set to 20...${E}[0;m\n`,
    `section_end:1732350002:get_sources${CLEAR}section_start:1732350002:step_script${CLEAR}${E}[0K${E}[36;1mExecuting "step_script" stage of the job script${E}[0;m${E}[0;m\n`,
    ...script.map((line) => `${line}\n`),
    `section_end:1732350005:step_script${CLEAR}${result}\n`,
  ].join('');
}

/** The sandbox's project as a git checkout (so glci finds it from the nested working directory) and its history. */
export function sandboxHistory(sandbox: CliSandbox): ProjectHistory {
  mkdirSync(path.join(sandbox.project, '.git'), { recursive: true });
  return new HistoryStore({ glciHome: sandbox.glciHome, logger: createSilentLogger() }).project(
    sandbox.project,
  );
}

/** Stores a finished pipeline with these jobs and their traces; returns its id. */
export async function storePipeline(
  history: ProjectHistory,
  jobs: readonly (Omit<JobRecord, 'status'> & { status?: JobRecord['status']; trace?: string })[],
): Promise<number> {
  const record = await history.createPipeline({
    ref: 'main',
    context: 'branch=main',
    status: 'success',
    jobs: jobs.map(({ trace: _trace, ...job }) => ({ status: 'success', ...job })),
  });
  for (const job of jobs) {
    if (job.trace !== undefined && job.id !== undefined)
      await history.job(record.id, job.id).writeTrace(Buffer.from(job.trace));
  }
  return record.id;
}

/** A zip as the runner uploads `artifacts:paths`. */
export async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) {
    zip.addBuffer(Buffer.from(content), name, { mode: 0o100644, mtime: new Date('2026-11-23T08:00:00Z') });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
