import { resolveExternalRegistry, resolvePreset } from '@glci/config';
import { type DaemonClient, DaemonRequestError } from '@glci/daemon/client';
import type { RunNotCreated, RunRequest, RunStarted, WireEvent } from '@glci/executor';
import { PipelineUsageError } from '@glci/pipeline/request';
import type { CliContext } from '../../cli-context.js';
import { CommandExit } from '../../command-exit.js';
import { connectDaemon } from '../daemon/daemon-session.js';
import { gitlabSession } from '../pipeline/gitlab-planning.js';
import { type PlanCliOptions, planRequest } from '../pipeline/plan-request.js';
import { RunView } from './run-view.js';

export interface RunCliOptions extends PlanCliOptions {
  readonly skip?: string[];
  readonly manual?: string[];
  readonly manualAll?: boolean;
  readonly concurrency?: number;
  readonly expand?: boolean;
  readonly pushThrough?: boolean;
  /** `--no-registry` makes it false; `--registry URL` a string. */
  readonly registry: boolean | string;
  readonly registryUser?: string;
  readonly registryPassword?: string;
  readonly anyRunner?: boolean;
  readonly color: boolean;
  readonly json?: boolean;
  readonly showVariables?: boolean;
}

/**
 * Asks the daemon to plan and start the pipeline, printing what it says while planning (slow
 * fetches from the GitLab instance), and resolves with its answer.
 */
async function startPipeline(client: DaemonClient, request: RunRequest): Promise<RunStarted | RunNotCreated> {
  for await (const line of client.stream<PlanningLine>('POST', '/pipelines?progress=1', request, {
    timeoutMs: 10 * 60_000,
  })) {
    if (line.type === 'progress') {
      if (line.event === 'slow')
        process.stderr.write(
          `glci: fetching ${line.what} from GitLab (${(line.elapsedMs / 1000).toFixed(1)} s)…\n`,
        );
      continue;
    }
    if (line.type === 'error') throw new DaemonRequestError(line.status, line.code, line.message);
    if (line.type === 'result') return line.result;
    // A daemon of an earlier build answers with the result alone.
    return line as unknown as RunStarted | RunNotCreated;
  }
  throw new Error('the glci daemon ended its answer without a result');
}

type PlanningLine =
  | { type: 'progress'; event: 'slow' | 'done'; what: string; elapsedMs: number }
  | { type: 'error'; status: number; code: string; message: string }
  | { type: 'result'; result: RunStarted | RunNotCreated };

/** Waits (up to half a minute) until the daemon knows the pipeline again. */
async function waitForPipeline(client: { request<T>(method: string, path: string): Promise<T> }, id: number) {
  for (let attempt = 0; attempt < 60; attempt++) {
    const { pipelines } = await client.request<{ pipelines: { id: number }[] }>('GET', '/pipelines');
    if (pipelines.some((pipeline) => pipeline.id === id)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * `glci run`: plans nothing itself (the daemon does, warm) but builds the plan request from the
 * command line and the config, asks the daemon to run it, and follows its events: the jobs' logs
 * prefixed with their names, their states, image pulls, and a summary. Ctrl-C cancels the
 * pipeline gracefully (after_script runs), a second Ctrl-C forcibly. The exit code is 1 when the
 * pipeline failed or was canceled.
 */
export async function runCommand(
  ctx: CliContext,
  jobs: readonly string[],
  options: RunCliOptions,
): Promise<void> {
  const { config, sources } = ctx.config();
  const externalFlags = {
    ...(typeof options.registry === 'string' ? { url: options.registry } : {}),
    ...(options.registryUser !== undefined ? { username: options.registryUser } : {}),
    ...(options.registryPassword !== undefined ? { password: options.registryPassword } : {}),
  };
  if (options.registry === false && Object.keys(externalFlags).length > 0)
    throw new PipelineUsageError(
      '--no-registry and --registry/--registry-user/--registry-password exclude each other',
    );
  // Checked here too, so that a mistake is named before the daemon is asked.
  resolveExternalRegistry(config, externalFlags, sources.global);
  const planned = await planRequest(ctx, options);
  const skip = options.skip ?? [];
  const plan =
    skip.length === 0
      ? planned
      : {
          ...planned,
          local: {
            ...planned.local,
            skip: { ...planned.local?.skip, jobs: [...(planned.local?.skip?.jobs ?? []), ...skip] },
          },
        };
  const request: RunRequest = {
    plan: plan as unknown as RunRequest['plan'],
    ...(options.context ? { context: options.context } : {}),
    ...(options.preset ? { preset: options.preset } : {}),
    jobs: [...jobs],
    manual: options.manual ?? [],
    manualAll: options.manualAll ?? false,
    // --concurrency, else the preset's (which falls back to [defaults] concurrency).
    concurrency: options.concurrency ?? resolvePreset(config, options.preset).concurrency,
    branchFallback: options.context === undefined && options.preset === undefined,
    registry: options.registry !== false,
    pushThrough: options.pushThrough ?? false,
    anyRunner: options.anyRunner ?? false,
    ...(Object.keys(externalFlags).length > 0 ? { externalRegistry: externalFlags } : {}),
    // The daemon plans with the instance and token this command resolved, and holds the variables.
    gitlab: await gitlabSession(ctx, planned.dir, options),
    showVariables: options.showVariables ?? false,
    // When this process started: `glci log --timings` shows the user's whole wait.
    cliStartedAt: performance.timeOrigin,
  };
  let { client } = await connectDaemon(ctx);
  // The first pipeline starts glci's containers (the mock, the runner) and may take a while.
  const slow = setTimeout(() => {
    process.stderr.write(
      'glci: preparing the pipeline (starting the mock and runner containers on first use)…\n',
    );
  }, 3_000);
  const started = await startPipeline(client, request).finally(() => clearTimeout(slow));
  if (!started.created) {
    process.stderr.write(`glci: no pipeline: ${started.reason}\n`);
    if (options.json) ctx.out.write(`${JSON.stringify({ type: 'not-created', reason: started.reason })}\n`);
    return;
  }
  const terminal = (ctx.out as NodeJS.WriteStream).isTTY === true;
  const view = new RunView({
    out: ctx.out,
    json: options.json ?? false,
    color: options.color && !ctx.env.NO_COLOR && terminal,
    expand: options.expand ?? false,
    started,
    live: terminal,
    columns: () => (ctx.out as NodeJS.WriteStream).columns ?? 80,
  });
  view.begin();
  if (!options.json) {
    for (const warning of started.warnings ?? []) process.stderr.write(`glci: warning: ${warning}\n`);
    for (const [job, variables] of Object.entries(started.variables ?? {})) {
      ctx.out.write(`variables of ${job}:\n`);
      const width = Math.max(0, ...variables.map((variable) => variable.name.length));
      for (const variable of variables)
        ctx.out.write(
          `  ${variable.name.padEnd(width)}  ${JSON.stringify(variable.value)}  ← ${variable.label}\n`,
        );
    }
  }

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    const force = interrupts > 1;
    view.note(
      force ? 'canceling the pipeline now (forced)' : 'canceling the pipeline (Ctrl-C again to force)',
    );
    void client
      .request('POST', `/pipelines/${started.pipelineId}/cancel`, { force })
      .catch((error: unknown) => view.note(`cancel failed: ${(error as Error).message}`));
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  let finished: Extract<WireEvent, { type: 'pipeline-finished' }> | undefined;
  try {
    // A broken stream is followed again from where it stopped; a daemon that died is started
    // again (it takes the pipeline over) and followed from the start of its events, which the
    // view shows only once.
    let seen = 0;
    for (let attempt = 0; attempt < 6 && !finished; attempt++) {
      try {
        for await (const event of client.stream<WireEvent>(
          'GET',
          `/pipelines/${started.pipelineId}/events?from=${seen}`,
        )) {
          seen += 1;
          view.event(event);
          if (event.type === 'pipeline-finished' && event.pipelineId === started.pipelineId) finished = event;
        }
        if (!finished) throw new Error('the event stream ended early');
      } catch (error) {
        if (attempt === 5 || interrupts > 1) throw error;
        view.note(
          `lost the daemon (${(error as Error).message}); following pipeline #${started.pipelineId} again`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const reconnected = await connectDaemon(ctx);
        if (reconnected.outcome !== 'running') seen = 0;
        client = reconnected.client;
        // A restarted daemon needs a moment to take its pipelines over.
        await waitForPipeline(client, started.pipelineId);
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  view.end(finished);
  if (!finished || finished.status === 'failed' || finished.status === 'canceled') throw new CommandExit(1);
}
