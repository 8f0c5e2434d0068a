/**
 * The `config.toml` the official gitlab-runner needs to take jobs from the mock
 * (shared/runner-protocol.md §4 and §5). A pure function: the caller writes the text where the
 * runner container mounts it.
 */
/** The settings of the whole runner process (the top of `config.toml`). */
export interface RunnerGlobalOptions {
  /** `concurrent` (≥ 1; 0 is fatal for the runner). Default 4. */
  readonly concurrent?: number;
  /** Seconds between polls. Default 3. */
  readonly checkInterval?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic';
  /** Seconds the runner waits for running jobs on a graceful stop. Default 30. */
  readonly shutdownTimeout?: number;
}

/** One `[[runners]]` entry: a registered runner with its own token, executor and settings. */
export interface RunnerEntryOptions {
  /** The mock's URL as the runner and the helper containers reach it (`url`; artifacts use it). */
  readonly url: string;
  /** The git remote base (`clone_url`); defaults to `url`. */
  readonly cloneUrl?: string;
  /** The runner's authentication token (`glrt-…`, from `RunnerApi.registerRunner`). */
  readonly token: string;
  readonly name?: string;
  /** `docker` (default) or `shell` (jobs run as host processes, for tests and shell runners). */
  readonly executor?: 'docker' | 'shell';
  /** The shell executor's shell. Default `bash`. */
  readonly shell?: 'bash' | 'sh';
  /** Where jobs check out (`builds_dir`) and keep local caches (`cache_dir`). */
  readonly buildsDir?: string;
  readonly cacheDir?: string;
  /** Per-runner job limit (`limit`, 0 = unlimited). Default 0. */
  readonly limit?: number;
  /** Job log cap in KiB (`output_limit`). Default 4096. */
  readonly outputLimitKib?: number;
  /** `FF_*` flags; with the Docker executor `FF_NETWORK_PER_BUILD` is on unless set to false here. */
  readonly featureFlags?: Readonly<Record<string, boolean>>;
  /** `[[runners]] environment` entries (`KEY=value`). */
  readonly environment?: readonly string[];
  readonly docker?: {
    /** Default job image when the payload has none. Default `alpine:3.20`. */
    readonly image?: string;
    readonly privileged?: boolean;
    /** Default `["host.docker.internal:host-gateway"]`: how job and helper containers reach the mock. */
    readonly extraHosts?: readonly string[];
    /** Must stay unset with `FF_NETWORK_PER_BUILD`; the runner refuses both. */
    readonly networkMode?: string;
    readonly helperImage?: string;
    readonly pullPolicy?: readonly ('always' | 'if-not-present' | 'never')[];
    /** Mounted into job, service and helper containers. Default `["/cache"]`. */
    readonly volumes?: readonly string[];
  };
  /**
   * The S3 cache served by the mock. `false` leaves `[runners.cache]` out (the runner then only
   * uses its local volume). Default: the mock itself, bucket `runner-cache`.
   */
  readonly cache?:
    | false
    | {
        /** `host[:port]`, no scheme; default the host of `url`. */
        readonly serverAddress?: string;
        readonly bucketName?: string;
        /** Set so that the runner never calls GetBucketLocation. Default `us-east-1`. */
        readonly bucketLocation?: string;
        /** Signatures are not checked by the mock; any non-empty pair selects static credentials. */
        readonly accessKey?: string;
        readonly secretKey?: string;
        readonly shared?: boolean;
        readonly path?: string;
      };
}

export type RunnerConfigOptions = RunnerGlobalOptions & RunnerEntryOptions;

/** Renders a runner's `config.toml` with one entry. Throws `TypeError` for values the runner would reject. */
export function renderRunnerConfig(options: RunnerConfigOptions): string {
  return renderRunnersConfig(options, [options]);
}

/**
 * Renders a `config.toml` with several `[[runners]]` entries, each polling with its own token (a
 * shared runner and one entry per Docker-in-Docker job, say). Throws `TypeError` for values the
 * runner would reject.
 */
export function renderRunnersConfig(
  global: RunnerGlobalOptions,
  entries: readonly RunnerEntryOptions[],
): string {
  if (entries.length === 0) throw new TypeError('a runner config needs at least one [[runners]] entry');
  const concurrent = global.concurrent ?? 4;
  if (!Number.isInteger(concurrent) || concurrent < 1) throw new TypeError('concurrent must be ≥ 1');
  const lines: string[] = [
    '# Written by glci: the official gitlab-runner takes its jobs from the glci mock.',
    `concurrent = ${concurrent}`,
    `check_interval = ${integer(global.checkInterval ?? 3, 'checkInterval')}`,
    `log_level = ${str(global.logLevel ?? 'info')}`,
    `shutdown_timeout = ${integer(global.shutdownTimeout ?? 30, 'shutdownTimeout')}`,
  ];
  for (const entry of entries) lines.push('', ...runnerEntry(entry));
  return `${lines.join('\n')}\n`;
}

function runnerEntry(options: RunnerEntryOptions): string[] {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`url must be http(s), got ${url.protocol}`);
  }
  if (!options.token) throw new TypeError('token must not be empty');
  const executor = options.executor ?? 'docker';
  const featureFlags =
    executor === 'docker'
      ? { FF_NETWORK_PER_BUILD: true, ...options.featureFlags }
      : { ...options.featureFlags };
  const docker = options.docker ?? {};
  if (docker.networkMode && featureFlags.FF_NETWORK_PER_BUILD) {
    throw new TypeError('docker.networkMode cannot be combined with FF_NETWORK_PER_BUILD');
  }
  const lines: string[] = [
    '[[runners]]',
    `  name = ${str(options.name ?? 'glci-mock')}`,
    `  url = ${str(options.url)}`,
    `  clone_url = ${str(options.cloneUrl ?? options.url)}`,
    `  token = ${str(options.token)}`,
    `  executor = ${str(executor)}`,
  ];
  if (executor === 'shell') lines.push(`  shell = ${str(options.shell ?? 'bash')}`);
  if (options.buildsDir) lines.push(`  builds_dir = ${str(options.buildsDir)}`);
  if (options.cacheDir) lines.push(`  cache_dir = ${str(options.cacheDir)}`);
  lines.push(
    `  limit = ${integer(options.limit ?? 0, 'limit')}`,
    `  request_concurrency = 1`,
    `  output_limit = ${integer(options.outputLimitKib ?? 4096, 'outputLimitKib')}`,
  );
  if (options.environment?.length) lines.push(`  environment = ${strArray(options.environment)}`);
  if (Object.keys(featureFlags).length > 0) {
    lines.push('  [runners.feature_flags]');
    for (const [flag, on] of Object.entries(featureFlags)) {
      if (!/^FF_[A-Z0-9_]+$/.test(flag)) throw new TypeError(`not a feature flag: ${flag}`);
      lines.push(`    ${flag} = ${on ? 'true' : 'false'}`);
    }
  }
  if (executor === 'docker') {
    lines.push(
      '  [runners.docker]',
      `    image = ${str(docker.image ?? 'alpine:3.20')}`,
      `    privileged = ${docker.privileged ? 'true' : 'false'}`,
      `    volumes = ${strArray(docker.volumes ?? ['/cache'])}`,
      `    extra_hosts = ${strArray(docker.extraHosts ?? ['host.docker.internal:host-gateway'])}`,
      `    pull_policy = ${strArray(docker.pullPolicy ?? ['if-not-present'])}`,
    );
    if (docker.networkMode) lines.push(`    network_mode = ${str(docker.networkMode)}`);
    if (docker.helperImage) lines.push(`    helper_image = ${str(docker.helperImage)}`);
  }
  if (options.cache !== false) {
    const cache = options.cache ?? {};
    lines.push(
      '  [runners.cache]',
      `    Type = "s3"`,
      `    Shared = ${cache.shared === false ? 'false' : 'true'}`,
    );
    if (cache.path) lines.push(`    Path = ${str(cache.path)}`);
    lines.push(
      '    [runners.cache.s3]',
      `      ServerAddress = ${str(cache.serverAddress ?? url.host)}`,
      `      AccessKey = ${str(cache.accessKey ?? 'glci')}`,
      `      SecretKey = ${str(cache.secretKey ?? 'glci-mock-cache')}`,
      `      BucketName = ${str(cache.bucketName ?? 'runner-cache')}`,
      `      BucketLocation = ${str(cache.bucketLocation ?? 'us-east-1')}`,
      `      Insecure = ${url.protocol === 'http:' ? 'true' : 'false'}`,
    );
  }
  return lines;
}

function integer(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

/** A TOML basic string: quotes, backslashes and every control character escaped. */
function str(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function strArray(values: readonly string[]): string {
  return `[${values.map(str).join(', ')}]`;
}
