import { setTimeout as sleep } from 'node:timers/promises';
import { findProjectDir } from '@glci/daemon';
import { DaemonClient, DaemonNotRunningError, DaemonRequestError } from '@glci/daemon/client';
import type { CliContext } from '../../cli-context.js';
import { CommandExit } from '../../command-exit.js';
import { daemonSettings } from '../daemon/daemon-session.js';
import { openHistory, parsePipelineId } from '../history/history-session.js';
import { UsageError } from '../registry/usage-error.js';

export interface StopOptions {
  readonly force?: boolean;
  readonly wait: boolean;
  /** How long to wait for the pipelines to end (ms). */
  readonly timeout: number;
  readonly json?: boolean;
}

interface ActivePipeline {
  readonly id: number;
  readonly projectDir: string;
  readonly status: string;
}

const ACTIVE = new Set(['created', 'pending', 'running']);

/**
 * `glci stop [PIPELINE]`: cancels a running pipeline (default: every pipeline of this project that
 * runs) through the daemon, as Ctrl-C in its `glci run` would: gracefully, so after_script runs,
 * or at once with --force. Jobs of its child pipelines are canceled with it. Waits until the
 * pipelines have ended unless --no-wait. Never starts a daemon: none running means nothing runs.
 */
export async function stopCommand(ctx: CliContext, pipeline: string | undefined, options: StopOptions) {
  const id = pipeline === undefined ? undefined : parsePipelineId(pipeline);
  if (pipeline !== undefined && id === undefined)
    throw new UsageError(`"${pipeline}" is not a pipeline id (a number such as 42)`);
  const client = new DaemonClient({ socketPath: daemonSettings(ctx).socket });
  let active: ActivePipeline[];
  try {
    active = (await client.request<{ pipelines: ActivePipeline[] }>('GET', '/pipelines')).pipelines;
  } catch (error) {
    if (!(error instanceof DaemonNotRunningError)) throw error;
    active = [];
  }
  const running = active.filter((candidate) => ACTIVE.has(candidate.status));
  let targets: ActivePipeline[];
  if (id !== undefined) {
    const target = running.find((candidate) => candidate.id === id);
    if (!target) return await notRunning(ctx, id, options);
    targets = [target];
  } else {
    const projectDir = findProjectDir(ctx.cwd);
    targets = running.filter((candidate) => candidate.projectDir === projectDir);
    if (targets.length === 0) {
      if (options.json) ctx.out.write(`${JSON.stringify({ stopped: [] })}\n`);
      else process.stderr.write(`glci: no pipeline of ${projectDir} is running\n`);
      return;
    }
  }
  for (const target of targets) {
    if (!options.json) {
      process.stderr.write(
        `glci: ${options.force ? 'canceling' : 'stopping'} pipeline #${target.id}${options.force ? ' (forced)' : ' (after_script runs)'}\n`,
      );
    }
    await client.request('POST', `/pipelines/${target.id}/cancel`, { force: options.force === true });
  }
  const ended = options.wait ? await waitForEnd(client, targets, options.timeout) : undefined;
  const results = targets.map((target) => ({
    id: target.id,
    status: ended?.get(target.id) ?? (options.wait ? 'still running' : 'canceling'),
  }));
  if (options.json) ctx.out.write(`${JSON.stringify({ stopped: results }, null, 2)}\n`);
  else for (const result of results) ctx.out.write(`pipeline #${result.id}: ${result.status}\n`);
  if (results.some((result) => result.status === 'still running')) {
    process.stderr.write(
      `glci: still running after ${Math.round(options.timeout / 1000)} s${options.force ? '' : '; glci stop --force cancels at once'}\n`,
    );
    throw new CommandExit(1);
  }
}

/** A pipeline not running here: finished already (fine), or unknown (an error). */
async function notRunning(ctx: CliContext, id: number, options: StopOptions): Promise<void> {
  const { store } = openHistory(ctx);
  const found = await store.findPipeline(id);
  if (!found) throw new Error(`pipeline ${id} is not in the history`);
  const { status } = found.record;
  if (ACTIVE.has(status)) {
    throw new Error(`pipeline ${id} is ${status} in the history, but no daemon runs it (glci daemon status)`);
  }
  if (options.json) ctx.out.write(`${JSON.stringify({ stopped: [], finished: { id, status } })}\n`);
  else ctx.out.write(`pipeline #${id} has already finished: ${status}\n`);
}

/** Polls the daemon until every target has ended or the time is up; returns their final states. */
async function waitForEnd(
  client: DaemonClient,
  targets: readonly ActivePipeline[],
  timeoutMs: number,
): Promise<Map<number, string>> {
  const ended = new Map<number, string>();
  const deadline = Date.now() + timeoutMs;
  while (ended.size < targets.length && Date.now() < deadline) {
    await sleep(500);
    let pipelines: ActivePipeline[];
    try {
      pipelines = (await client.request<{ pipelines: ActivePipeline[] }>('GET', '/pipelines')).pipelines;
    } catch (error) {
      // A daemon gone meanwhile took the pipelines down with it.
      if (error instanceof DaemonNotRunningError || error instanceof DaemonRequestError) break;
      throw error;
    }
    for (const target of targets) {
      const now = pipelines.find((candidate) => candidate.id === target.id);
      if (!now) ended.set(target.id, 'ended');
      else if (!ACTIVE.has(now.status)) ended.set(target.id, now.status);
    }
  }
  return ended;
}
