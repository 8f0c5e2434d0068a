import { DaemonHttpError } from '@glci/daemon';
import { gitlabSessionSchema } from '@glci/gitlab';
import { z } from 'zod';
import type { ExecutionEvent } from '../execution-events.js';
import type { ShownVariable } from './run-planning.js';

/** `POST /pipelines`: what `glci run` asks for. */
export const runRequestSchema = z.object({
  /** `@glci/pipeline`'s plan request as the CLI built it (context, variables, local settings…). */
  plan: z.looseObject({ dir: z.string().min(1) }),
  /** The context as the user wrote it, for the history (`branch=main`). */
  context: z.string().optional(),
  preset: z.string().optional(),
  /** Jobs to run (with what they need); all when empty. */
  jobs: z.array(z.string().min(1)).default([]),
  /** Manual jobs to run. */
  manual: z.array(z.string().min(1)).default([]),
  /** Run every manual job. */
  manualAll: z.boolean().default(false),
  concurrency: z.number().int().min(0).max(1000).default(4),
  /**
   * The context was the default (a merge request), not asked for: when the configuration
   * creates no merge request pipeline, run the branch pipeline, as GitLab does for a push.
   */
  branchFallback: z.boolean().default(false),
  /** Jobs use the embedded registry (`--no-registry`: false). */
  registry: z.boolean().default(true),
  /** Mirror every push upstream while this pipeline runs (`--push-through`). */
  pushThrough: z.boolean().default(false),
  /** `--any-runner`: jobs whose tags no runner has run on the shared runner instead of staying pending. */
  anyRunner: z.boolean().default(false),
  /**
   * `--registry URL --registry-user U --registry-password P`: an external registry in place of the
   * embedded one (over `[registry] url`/`username`/`password`). The password is handed to the mock
   * in memory and never written to the history.
   */
  externalRegistry: z
    .strictObject({
      url: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
  /** The GitLab instance the CLI resolved (with its token) and `--secrets`, `--refresh-*`, `--offline`. */
  gitlab: gitlabSessionSchema.optional(),
  /** `--show-variables`: answer with the variables each job gets (masked values hidden). */
  showVariables: z.boolean().default(false),
  /** When the `glci run` process started (ms since the epoch), for `glci log --timings`. */
  cliStartedAt: z.number().positive().optional(),
});
export type RunRequest = z.input<typeof runRequestSchema>;
/** The request as the daemon reads it (defaults applied). */
export type RunRequestBody = z.output<typeof runRequestSchema>;

/** What `POST /pipelines` answers. */
export interface RunStarted {
  readonly created: true;
  readonly pipelineId: number;
  /** The context the pipeline was planned for (`branch=main` after a fallback). */
  readonly context: string;
  readonly name?: string;
  readonly ref: string;
  readonly sha: string;
  readonly stages: readonly string[];
  readonly jobs: readonly { readonly name: string; readonly stage: string }[];
  readonly excluded: number;
  /** What planning noticed: stale cached includes with their age, CI/CD variables not read. */
  readonly warnings?: readonly string[];
  /** With `showVariables`: each job's variables as planned (dotenv reports of its needs come at its start). */
  readonly variables?: Readonly<Record<string, readonly ShownVariable[]>>;
}
export interface RunNotCreated {
  readonly created: false;
  readonly reason: string;
}

/** An event as it travels to the CLI (a log chunk's bytes as base64). */
export type WireEvent =
  | Exclude<ExecutionEvent, { type: 'trace' }>
  | (Omit<Extract<ExecutionEvent, { type: 'trace' }>, 'data'> & { readonly data: string });

/** The request body, validated; a 400 naming the first bad field otherwise. */
export function parseRequest(body: unknown): z.output<typeof runRequestSchema> {
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DaemonHttpError(400, 'bad-request', `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** An event as it travels: a log chunk's bytes as base64. */
export function toWire(event: ExecutionEvent): WireEvent {
  return event.type === 'trace' ? { ...event, data: event.data.toString('base64') } : event;
}
