import { z } from 'zod';

/**
 * `[runners.NAME]`: runners as a team configures them on GitLab, each with its tags. Every entry
 * becomes a `[[runners]]` block of glci's runner container (named `NAME` in the trace), and
 * `[projects."group/proj".runners.NAME]` entries a block of the project's own runner container.
 * Jobs are assigned as GitLab assigns them (`@glci/executor`'s `assignRunner`).
 */

/** GitLab allows at most 50 tags on a runner (`Ci::Runner::TAG_LIST_MAX_LENGTH`). */
export const RUNNER_TAG_LIMIT = 50;

/** A name that can be part of a container name and of the trace's "Running on" line. */
export const runnerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
  message: 'expected a runner name of letters, digits, "_", "." and "-" (at most 63), e.g. "gpu"',
});

const tag = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((value) => !value.includes(','), { message: 'a tag cannot contain ","' });

/**
 * A `[runners.docker] volumes` entry as the runner takes it: `/path` (a volume for that path),
 * `name:/path` or `/host/path:/path`, optionally `:ro` / `:rw`.
 */
const volume = z.string().regex(/^(?:[^:\s]+:)?\/[^:\s]*(?::(?:ro|rw))?$/, {
  message: 'expected "/container/path", "name:/container/path" or "/host/path:/container/path[:ro|rw]"',
});

export const runnerEntrySchema = z
  .strictObject({
    /** A job runs here only when this runner has every one of the job's tags. */
    tags: z.array(tag).max(RUNNER_TAG_LIMIT).default([]),
    /**
     * Whether untagged jobs run here. Unset takes GitLab's default: true for a runner without
     * tags, false for one with tags.
     */
    run_untagged: z.boolean().optional(),
    /** Jobs this runner runs at once (the `[[runners]]` entry's `limit`); unset: `[runner] concurrent` only. */
    concurrent: z.number().int().min(1).max(1000).optional(),
    /** The image of jobs that name none (`[runners.docker] image`); unset: `[defaults] image`. */
    image: z.string().min(1).optional(),
    /** The helper image of this runner (`[runners.docker] helper_image`); unset: `[runner] helper_image`. */
    helper_image: z.string().min(1).optional(),
    /** Privileged job and service containers; unset: `[docker] privileged`. */
    privileged: z.boolean().optional(),
    /** Extra `[runners.docker] volumes` of this runner's jobs. */
    volumes: z.array(volume).default([]),
  })
  .superRefine((entry, ctx) => {
    // GitLab refuses the same runner ("tags list can not be empty when runner is not allowed to
    // pick untagged jobs"): it could never run anything.
    if (entry.run_untagged === false && entry.tags.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['run_untagged'],
        params: { quotesInput: true },
        message:
          'a runner with run_untagged = false needs tags, or it could never run a job (GitLab refuses it too)',
      });
    }
  })
  .transform((entry) => ({
    ...entry,
    tags: [...new Set(entry.tags)],
    run_untagged: entry.run_untagged ?? entry.tags.length === 0,
  }));

export const runnersSchema = z.record(runnerName, runnerEntrySchema).default({});

/**
 * Keys of a runner entry that a project file may not set: host paths mounted into jobs, and the
 * helper image that runs beside every job (as `[runner] helper_image`). `privileged` may only be
 * turned off there, as `[docker] privileged`.
 */
export const RUNNER_USER_ONLY_KEYS = ['helper_image', 'volumes'] as const;

export type RunnerEntryConfig = z.output<typeof runnerEntrySchema>;
