import { isIP } from 'node:net';
import { z } from 'zod';
import { gitlabSchema } from './gitlab-schema.js';
import { runnersSchema } from './runners-schema.js';
import { duration, httpUrl, size } from './schema-primitives.js';

export { gitlabSchema } from './gitlab-schema.js';
export { type UnitKind, unitRegistry } from './schema-primitives.js';

/**
 * The single schema of glci's configuration. Types come from `z.output`; nothing else declares them.
 * Every table is strict, so an unknown key is an error with a did-you-mean. Nested tables use
 * `prefault({})` so that their own defaults apply when the table is absent.
 */

const port = z.number().int().min(1).max(65535);

/** `host:port`, where port 0 means "any free port" and an IPv6 host is bracketed. */
const bindAddress = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, {
    message: 'expected "host:port", e.g. "127.0.0.1:0" or "[::1]:5000"',
    abort: true,
  })
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, {
    message: 'port must be between 0 and 65535',
  });

const hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, {
  message: 'expected a host name such as "host.docker.internal"',
});

const extraHost = z.string().refine(
  (value) => {
    const separator = value.indexOf(':');
    if (separator <= 0) return false;
    const target = value.slice(separator + 1);
    return (
      hostname.safeParse(value.slice(0, separator)).success &&
      (isIP(target) !== 0 || target === 'host-gateway')
    );
  },
  { message: 'expected "name:ip", e.g. "internal-registry.corp:10.0.0.50"' },
);

const dockerHost = z.string().regex(/^(unix|tcp|ssh|npipe):\/\/.+/, {
  message:
    'expected a Docker endpoint such as "unix:///var/run/docker.sock", "tcp://host:2375" or "ssh://user@host"',
});

const DOCKER_TLS_KEYS = ['tls_verify', 'tls_cert_path', 'tls_ca_cert', 'tls_cert', 'tls_key'] as const;

export const dockerSchema = z
  .strictObject({
    /** Unset means: DOCKER_HOST, else the Docker CLI's context (DOCKER_CONTEXT, currentContext), else the default socket. */
    host: dockerHost.optional(),
    /**
     * TLS for a `tcp://` host, like the Docker CLI's `--tlsverify --tlscacert --tlscert --tlskey`:
     * any of these turns TLS on; the daemon's certificate is verified unless `tls_verify = false`.
     * `tls_cert_path` is a directory with `ca.pem`, `cert.pem` and `key.pem` (as DOCKER_CERT_PATH).
     */
    tls_verify: z.boolean().optional(),
    tls_cert_path: z.string().min(1).optional(),
    tls_ca_cert: z.string().min(1).optional(),
    tls_cert: z.string().min(1).optional(),
    tls_key: z.string().min(1).optional(),
    /** The socket path mounted into runner containers; "auto" derives it from the endpoint. */
    container_socket: z.string().min(1).default('auto'),
    privileged: z.boolean().default(true),
    /**
     * How long a pipeline waits for its Docker engine when the connection to it is lost (a remote
     * host down, a network cut): taken over when the engine is back, failed with the reason after.
     */
    reconnect_timeout: duration('5m'),
  })
  .superRefine((docker, ctx) => {
    const tlsKeys = DOCKER_TLS_KEYS.filter((key) => docker[key] !== undefined);
    if (tlsKeys.length === 0) return;
    const scheme = docker.host?.slice(0, docker.host.indexOf('://'));
    const problem =
      docker.host === undefined
        ? 'applies to [docker] host, which is not set (DOCKER_HOST takes DOCKER_TLS_VERIFY and DOCKER_CERT_PATH; a Docker context keeps its own TLS files)'
        : scheme !== 'tcp'
          ? `applies to a tcp:// host only, and [docker] host is "${docker.host}"`
          : undefined;
    if (problem) for (const key of tlsKeys) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    if ((docker.tls_cert === undefined) !== (docker.tls_key === undefined)) {
      const missing = docker.tls_cert === undefined ? 'tls_cert' : 'tls_key';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'expected both tls_cert and tls_key (the client certificate and its key), or neither',
      });
    }
  });

export const networkSchema = z.strictObject({
  mock_server_bind: bindAddress.default('0.0.0.0:0'),
  mock_server_port: port.default(39741),
  container_host: hostname.default('host.docker.internal'),
  /** "auto", "host-gateway", or the IP that `container_host` maps to inside containers. */
  host_gateway: z
    .string()
    .refine((value) => value === 'auto' || value === 'host-gateway' || isIP(value) !== 0, {
      message: 'expected "auto", "host-gateway" or an IP address',
    })
    .default('auto'),
  registry_bind: bindAddress.default('127.0.0.1:0'),
  registry_http_bind: bindAddress.default('0.0.0.0:0'),
  daemon_socket: z.string().min(1).default('~/.glci/daemon.sock'),
  extra_hosts: z
    .strictObject({
      /** Additive: the project's entries are appended to the user's. */
      entries: z.array(extraHost).default([]),
    })
    .prefault({}),
});

export const cacheSchema = z.strictObject({
  persistent: z.boolean().default(true),
  max_size: size('500MB'),
  ttl: duration('24h'),
});

export const daemonSchema = z.strictObject({
  idle_timeout: duration('30m'),
  socket: z.string().min(1).default('~/.glci/daemon.sock'),
  log_file: z.string().min(1).default('~/.glci/daemon.log'),
  max_log_size: size('50MB'),
  max_log_files: z.number().int().min(0).max(100).default(3),
});

/** What the daemon keeps of finished pipelines (records, traces, artifacts) per project. */
export const historySchema = z.strictObject({
  /** The newest pipelines kept per project; older finished ones are removed. 0 keeps them all. */
  keep_last: z.number().int().min(0).max(1_000_000).default(50),
  /** Finished pipelines created longer ago than this are removed; "0" means no age limit. */
  max_age: duration('0'),
});

export const upstreamSchema = z.strictObject({
  url: httpUrl,
  username: z.string().optional(),
  password: z.string().optional(),
  /** Skip TLS certificate verification (self-signed upstreams). Plain http:// needs no flag. */
  insecure: z.boolean().default(false),
  cache_validity_hours: z
    .number()
    .min(0)
    .max(24 * 365)
    .default(24),
});

export const DEFAULT_UPSTREAMS = ['https://registry.gitlab.com', 'https://registry-1.docker.io'] as const;

export const pushThroughUpstreamSchema = z.strictObject({
  url: httpUrl.default('https://registry.gitlab.com'),
  username: z.string().optional(),
  password: z.string().optional(),
  insecure: z.boolean().default(false),
});

/** `driver` defaults to "filesystem", so `[registry.storage] root = "..."` alone is enough. */
/**
 * `driver = "s3"`: any S3-compatible store (AWS S3, MinIO, Ceph RGW). Several registry nodes may share
 * one bucket. Credentials left unset come from the AWS SDK's default chain (environment, shared
 * files, instance or container roles); `$VAR` references are expanded like everywhere else.
 */
const s3StorageSchema = z
  .strictObject({
    driver: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      message: 'expected an S3 bucket name (3-63 characters: lower-case letters, digits, "." and "-")',
    }),
    region: z.string().min(1).default('us-east-1'),
    /** A custom endpoint (MinIO, Ceph RGW, ...); unset means AWS's endpoint for `region`. */
    endpoint: httpUrl.optional(),
    /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
    path_style: z.boolean().default(false),
    /** Key prefix inside the bucket, so that one bucket can hold several registries. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]*$/, { message: 'expected a key prefix such as "registry/prod"' })
      .default(''),
    access_key_id: z.string().min(1).optional(),
    secret_access_key: z.string().min(1).optional(),
    session_token: z.string().min(1).optional(),
    /** Server-side encryption of every object written. */
    sse: z.enum(['AES256', 'aws:kms']).optional(),
    kms_key_id: z.string().min(1).optional(),
    /** Skip TLS certificate verification of an https:// endpoint (self-signed test servers). */
    insecure: z.boolean().default(false),
    /** Answer blob GETs with a redirect to a presigned URL instead of streaming through the node. */
    redirect: z.boolean().default(false),
    /**
     * A size-bounded cache of blobs on this node's own disk, in front of the bucket: blobs served
     * or pushed through the node are kept there (verified by digest) and served from it while the
     * bucket still holds them; least recently read first out. Unset: every read goes to S3.
     */
    local_cache: z
      .strictObject({
        /** A directory only this cache (and one glci process) uses; created if missing. */
        dir: z.string().min(1),
        /** The most the cached blobs may take on disk; a larger blob is never cached. */
        max_size: size('10GB').refine((value) => value > 0, {
          message: 'expected a size above 0, e.g. "10GB" (leave local_cache out to turn the cache off)',
        }),
      })
      .optional(),
  })
  .refine((value) => (value.access_key_id === undefined) === (value.secret_access_key === undefined), {
    message: 'access_key_id and secret_access_key go together (or leave both unset for the default chain)',
    path: ['secret_access_key'],
  })
  .refine((value) => value.kms_key_id === undefined || value.sse === 'aws:kms', {
    message: 'kms_key_id needs sse = "aws:kms"',
    path: ['kms_key_id'],
  });

export const storageSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('driver' in value)
      ? { ...value, driver: 'filesystem' }
      : value,
  z.discriminatedUnion('driver', [
    z.strictObject({ driver: z.literal('filesystem'), root: z.string().min(1).default('~/.glci/registry') }),
    z.strictObject({ driver: z.literal('memory') }),
    s3StorageSchema,
  ]),
);

export const registrySchema = z.strictObject({
  /** An external registry used instead of the embedded one (user config only). */
  url: httpUrl.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  push_through: z.boolean().default(false),
  /**
   * Accept an image index whose child manifests are not in the repository (OCI "sparse index"), as a
   * mirror that keeps one platform of a multi-platform image needs; off by default, as in GitLab.
   */
  allow_sparse_index: z.boolean().default(false),
  upstreams: z.array(upstreamSchema).prefault(DEFAULT_UPSTREAMS.map((url) => ({ url }))),
  upstream: pushThroughUpstreamSchema.prefault({}),
  storage: storageSchema.prefault({}),
  /** Bounds on what the pull-through cache keeps; "0" means no bound. */
  proxy_cache: z
    .strictObject({
      /** Least recently read cached images are evicted beyond this size. */
      max_size: size('0'),
      /** Cached content nobody read for this long is removed. */
      unused_ttl: duration('0'),
    })
    .prefault({}),
});

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name' });
const variableValue = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);
const regexText = z.string().refine(
  (value) => {
    try {
      new RegExp(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a regular expression' },
);
const executor = z.enum(['docker', 'kubernetes']);
/** `branch=NAME`, `branch`, `merge_request`, `tag=NAME`, `tag`, `env=NAME`, or a `[contexts.NAME]` name. */
const contextText = z.string().min(1);

const pullPolicy = z.enum(['always', 'if-not-present', 'never']);

/**
 * The official gitlab-runner glci drives (`glci run`). The images default to the published ones;
 * machines that cannot pull them (CI here) point these at locally built images.
 */
export const RUNNER_VERSION = '17.9.0';
export const runnerSchema = z.strictObject({
  /** The runner container's image. */
  image: z.string().min(1).default(`gitlab/gitlab-runner:v${RUNNER_VERSION}`),
  /** The helper image of the Docker executor; unset: the runner picks the published one matching it. */
  helper_image: z.string().min(1).optional(),
  /** How the runner pulls job and service images (`[runners.docker] pull_policy`). */
  pull_policy: z.array(pullPolicy).min(1).default(['if-not-present']),
  /** Jobs the runner process runs at once (`concurrent`); `[defaults] concurrency` still limits a pipeline. */
  concurrent: z.number().int().min(1).max(1000).default(8),
});

/** The mock container (`glci-mock`): the image, built from a checkout or published. */
export const mockSchema = z.strictObject({
  image: z.string().min(1).default('glci-mock:local'),
});

export const defaultsSchema = z.strictObject({
  /** Jobs run at once; 0 means no limit. */
  concurrency: z.number().int().min(0).max(1000).default(4),
  executor: executor.default('docker'),
  /** Dirty mode: untracked, non-ignored files are sent to jobs and seen by rules. */
  dirty: z.boolean().default(true),
  /** The image of jobs that set none. */
  image: z.string().min(1).optional(),
});

const jobListsSchema = z.strictObject({
  jobs: z.array(z.string().min(1)).default([]),
  /** Regular expressions matched against job names. */
  job_patterns: z.array(regexText).default([]),
});
export const skipSchema = jobListsSchema.extend({ stages: z.array(z.string().min(1)).default([]) });
export const manualSchema = jobListsSchema;

const imageOverride = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().min(1).optional(),
    entrypoint: z.array(z.string()).optional(),
    pull_policy: z.array(z.enum(['always', 'if-not-present', 'never'])).optional(),
    docker: z.strictObject({ platform: z.string().optional(), user: z.string().optional() }).optional(),
  }),
]);
export const jobOverrideSchema = z.strictObject({
  image: imageOverride.optional(),
  variables: z.record(variableName, variableValue).optional(),
});

export const projectMappingSchema = z.strictObject({
  /** The local checkout; relative paths resolve from the directory of the file that set it. */
  dir: z.string().min(1).optional(),
  branch: z.string().min(1).optional(),
  /** The project's own runners (`glci-runner-<project>`), beside the shared ones. */
  runners: runnersSchema,
});

export const contextPresetSchema = z.strictObject({
  context: contextText,
  mr_source: z.string().min(1).optional(),
  mr_target: z.string().min(1).optional(),
  env: z.record(variableName, variableValue).optional(),
});

export const pipelinePresetSchema = z.strictObject({
  extends: z.string().min(1).optional(),
  stages: z.array(z.string().min(1)).optional(),
  /** Job name globs (`*`, `?`). */
  jobs: z.array(z.string().min(1)).optional(),
  context: contextText.optional(),
  mr_source: z.string().min(1).optional(),
  mr_target: z.string().min(1).optional(),
  env: z.record(variableName, variableValue).optional(),
  concurrency: z.number().int().min(0).max(1000).optional(),
  image: z.string().min(1).optional(),
  executor: executor.optional(),
  no_skip_all: z.boolean().optional(),
  manual_all: z.boolean().optional(),
  no_manual: z.boolean().optional(),
  dirty: z.boolean().optional(),
  skip: z
    .strictObject({
      jobs: z.array(z.string().min(1)).optional(),
      job_patterns: z.array(regexText).optional(),
    })
    .optional(),
  manual: z
    .strictObject({
      jobs: z.array(z.string().min(1)).optional(),
      job_patterns: z.array(regexText).optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  docker: dockerSchema.prefault({}),
  network: networkSchema.prefault({}),
  cache: cacheSchema.prefault({}),
  daemon: daemonSchema.prefault({}),
  history: historySchema.prefault({}),
  registry: registrySchema.prefault({}),
  gitlab: gitlabSchema.prefault({}),
  defaults: defaultsSchema.prefault({}),
  runner: runnerSchema.prefault({}),
  mock: mockSchema.prefault({}),
  runners: runnersSchema,
  skip: skipSchema.prefault({}),
  manual: manualSchema.prefault({}),
  jobs: z.record(z.string().min(1), jobOverrideSchema).default({}),
  projects: z
    .record(
      z
        .string()
        .regex(/^[^/\s]+(?:\/[^/\s]+)+$/, { message: 'expected a project path like "group/project"' }),
      projectMappingSchema,
    )
    .default({}),
  contexts: z.record(z.string().min(1), contextPresetSchema).default({}),
  pipelines: z.record(z.string().min(1), pipelinePresetSchema).default({}),
});

/** The effective configuration, with sizes in bytes and durations in milliseconds. */
export type GlciConfig = z.output<typeof configSchema>;
/** What a config file may contain, before defaults and unit parsing. */
export type GlciConfigInput = z.input<typeof configSchema>;
export type UpstreamConfig = GlciConfig['registry']['upstreams'][number];
export type StorageConfig = GlciConfig['registry']['storage'];
export type PipelinePresetConfig = GlciConfig['pipelines'][string];
export type JobOverrideConfig = GlciConfig['jobs'][string];
export type GitlabConfig = GlciConfig['gitlab'];
export type { RunnerEntryConfig } from './runners-schema.js';
