import { z } from 'zod';
import { REGISTRY_HOST_PATTERN } from './external-registries.js';

/**
 * The typed job specification callers enqueue (what a `.gitlab-ci.yml` job becomes after the CLI
 * resolved `extends`, `rules`, cache `key:files` and the like), and the request bodies the runner
 * sends. Types come from `z.infer`; `payload.ts` turns a spec into the runner's `spec.Job` JSON.
 */

/** `group/sub/project`: segments of letters, digits, `_`, `-`, `.` (never `.` or `..` alone). */
export const projectPathSchema = z
  .string()
  .max(255)
  .regex(/^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*)(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/, {
    message: 'expected a project path like "group/project"',
  })
  .refine(
    (value) => !value.split('/').some((segment) => segment.endsWith('.git') || segment.includes('..')),
    {
      message: 'project path segments may not end in ".git" or contain ".."',
    },
  );

const pullPolicy = z.enum(['always', 'if-not-present', 'never']);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name' });

/** `KEY: value` or `KEY: {value, masked, file, raw, expand, public}`. */
const variableValue = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.strictObject({
    value: z.union([z.string(), z.number().transform(String)]),
    description: z.string().optional(),
    masked: z.boolean().default(false),
    file: z.boolean().default(false),
    /** `raw: true` and `expand: false` both stop the runner from expanding `$VAR` in the value. */
    raw: z.boolean().optional(),
    expand: z.boolean().optional(),
    /** `false` keeps the variable away from service containers. */
    public: z.boolean().default(true),
    /**
     * The value lives in memory only (a CI/CD variable of the user's GitLab instance): the Runner
     * API never writes it down, so a mock restarted with its saved state has the job without it.
     */
    secret: z.boolean().optional(),
  }),
]);
export const variablesSchema = z.record(envName, variableValue);

const portSchema = z.union([
  z
    .number()
    .int()
    .min(1)
    .max(65535)
    .transform((number) => ({ number })),
  z.strictObject({
    number: z.number().int().min(1).max(65535),
    protocol: z.enum(['http', 'https']).optional(),
    name: z.string().optional(),
  }),
]);

/** The extended `image:` syntax of `.gitlab-ci.yml` (also accepted as a plain string). */
const imageObject = z.strictObject({
  name: z.string().min(1),
  entrypoint: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  ports: z.array(portSchema).optional(),
  pull_policy: z.union([pullPolicy, z.array(pullPolicy).min(1)]).optional(),
  /** Only `platform` and `user`: the Docker executor rejects any other executor option. */
  docker: z.strictObject({ platform: z.string().optional(), user: z.string().optional() }).optional(),
  kubernetes: z.unknown().optional(),
});
export const imageSchema = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ name })),
  imageObject,
]);

const serviceObject = imageObject.extend({
  /** One or more aliases, separated by spaces or commas as in GitLab. */
  alias: z.string().optional(),
  variables: variablesSchema.optional(),
});
export const serviceSchema = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ name })),
  serviceObject,
]);

const when = z.enum(['on_success', 'on_failure', 'always']);

export const artifactsSchema = z.strictObject({
  name: z.string().optional(),
  paths: z.array(z.string()).default([]),
  exclude: z.array(z.string()).default([]),
  untracked: z.boolean().default(false),
  when: when.default('on_success'),
  expire_in: z.string().optional(),
  /** Report artifacts (`junit`, `dotenv`, …): each becomes its own upload of that type. */
  reports: z.record(z.string().regex(/^[a-z_]+$/), z.union([z.string(), z.array(z.string())])).default({}),
});

export const cacheSchema = z.strictObject({
  /** Already resolved (the CLI computes `key:files` hashes); default `<job name>/<ref>`. */
  key: z.string().min(1).optional(),
  fallback_keys: z.array(z.string().min(1)).max(5).default([]),
  paths: z.array(z.string()).default([]),
  untracked: z.boolean().default(false),
  policy: z.enum(['pull-push', 'pull', 'push']).default('pull-push'),
  when: when.default('on_success'),
  unprotect: z.boolean().default(false),
});

const sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, { message: 'expected a full commit SHA' });

export const gitInfoSchema = z.strictObject({
  ref: z.string().min(1).max(255),
  sha,
  before_sha: sha.optional(),
  ref_type: z.enum(['branch', 'tag']).default('branch'),
  /** 0 = full clone; GitLab's default `GIT_DEPTH` is 20. */
  depth: z.number().int().min(0).max(100_000).default(20),
  protected: z.boolean().default(false),
  /** Overrides the default refspecs (pipeline ref + branch/tag); every one must exist on the server. */
  refspecs: z.array(z.string().min(1)).optional(),
  object_format: z.enum(['sha1', 'sha256']).default('sha1'),
  commit: z
    .strictObject({
      message: z.string().default(''),
      author_name: z.string().default(''),
      author_email: z.string().default(''),
      timestamp: z.string().optional(),
    })
    .prefault({}),
});

export const jobSpecSchema = z.strictObject({
  name: z.string().min(1).max(255),
  stage: z.string().min(1).default('test'),
  project: z.strictObject({
    path: projectPathSchema,
    id: z.number().int().positive().default(1),
    default_branch: z.string().default('main'),
  }),
  pipeline: z.strictObject({
    id: z.number().int().positive(),
    iid: z.number().int().positive().optional(),
    source: z.string().default('push'),
    created_at: z.string().optional(),
    name: z.string().optional(),
  }),
  git: gitInfoSchema,
  image: imageSchema.optional(),
  services: z.array(serviceSchema).default([]),
  /** The YAML's variables (global and job-level) after glci resolved them. */
  variables: variablesSchema.default({}),
  /**
   * Variables that outrank the dependencies' dotenv reports, as pipeline, project and group
   * variables do on GitLab (glci's `--env`, `--env-file`, `.glci.env`).
   */
  pipeline_variables: variablesSchema.default({}),
  before_script: z.array(z.string()).default([]),
  script: z.array(z.string()).min(1, { message: 'a job needs at least one script line' }),
  after_script: z.array(z.string()).default([]),
  artifacts: artifactsSchema.optional(),
  cache: z.union([cacheSchema, z.array(cacheSchema).max(4)]).optional(),
  /** Ids of earlier jobs whose archive artifacts this job downloads; the job waits until they finish. */
  dependencies: z.array(z.number().int().positive()).default([]),
  /** Seconds; drives the runner's deadline (`job_execution_timeout`). */
  timeout: z
    .number()
    .int()
    .positive()
    .max(30 * 24 * 3600)
    .default(3600),
  tags: z.array(z.string().min(1).max(255)).default([]),
  /** Registry credentials for private image pulls (`type: registry`). */
  credentials: z
    .array(z.strictObject({ url: z.string().min(1), username: z.string(), password: z.string() }))
    .default([]),
  environment: z.string().optional(),
  /**
   * Whether the job gets the embedded registry's variables (`CI_REGISTRY*`, the dependency proxy,
   * the mirror variables); `false` for `glci run --no-registry`.
   */
  registry: z.boolean().default(true),
  /**
   * A registry used instead of the embedded one (`[registry] url`): `CI_REGISTRY*` name it, and its
   * credentials (kept by the mock in memory, `ExternalRegistries`) become `CI_REGISTRY_USER`/`_PASSWORD`.
   */
  external_registry: z
    .strictObject({
      host: z
        .string()
        .regex(REGISTRY_HOST_PATTERN, { message: 'expected a registry host such as "registry.corp:5000"' }),
    })
    .optional(),
  node: z.strictObject({ index: z.number().int().positive(), total: z.number().int().positive() }).optional(),
  /**
   * `id_tokens:`: a variable name → the token's audience. The mock signs each token for the job
   * when a runner picks it (its own key, not GitLab's) and sends it as a masked variable.
   */
  id_tokens: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'an id_tokens name is a variable name' }),
      z.strictObject({ aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }),
    )
    .default({}),
});

export type JobSpecInput = z.input<typeof jobSpecSchema>;
export type JobSpec = z.output<typeof jobSpecSchema>;

// ---- What the runner sends -------------------------------------------------------------------

const infoSchema = z.looseObject({}).optional();

export const registerRunnerBodySchema = z.looseObject({
  token: z.string().min(1).optional(),
  description: z.string().max(1024).optional(),
  tag_list: z.union([z.string(), z.array(z.string())]).optional(),
  run_untagged: z.boolean().optional(),
  locked: z.boolean().optional(),
  paused: z.boolean().optional(),
  maximum_timeout: z.number().int().nonnegative().optional(),
  info: infoSchema,
});

export const tokenBodySchema = z.looseObject({
  token: z.string().min(1).optional(),
  system_id: z.string().max(64).optional(),
  info: infoSchema,
});

export const jobRequestBodySchema = z.looseObject({
  token: z.string().min(1).optional(),
  system_id: z.string().max(64).optional(),
  last_update: z.string().max(128).optional(),
  info: infoSchema,
});

export const updateJobBodySchema = z.looseObject({
  token: z.string().min(1).optional(),
  state: z.enum(['pending', 'running', 'success', 'failed', 'canceled']).optional(),
  failure_reason: z.string().max(100).optional(),
  checksum: z.string().max(100).optional(),
  output: z
    .looseObject({
      checksum: z.string().max(100).optional(),
      bytesize: z.number().int().nonnegative().optional(),
    })
    .optional(),
  exit_code: z.number().int().optional(),
  info: infoSchema,
});
export type UpdateJobBody = z.output<typeof updateJobBodySchema>;
