import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@glci/config';
import { type GlciTopology, runnerShortToken, type StartedContainer } from '@glci/docker';
import { type RunnerEntryOptions, renderRunnersConfig } from '@glci/runner-api';
import type { MockClient } from './mock-client.js';
import { STANDING_ENTRIES, type StandingEntry } from './runner-routing.js';

/** How every runner entry reaches the mock and runs its jobs. */
export interface FleetSettings {
  /** The runner image (`gitlab/gitlab-runner:…`, or a locally built one in tests). */
  readonly image: string;
  /** The helper image; unset lets the runner pick the published one that matches it. */
  readonly helperImage?: string;
  /** The mock as runners and their helper containers reach it: `http://host.docker.internal:<port>`. */
  readonly mockUrl: string;
  /** `extra_hosts` of the runner and of every job, helper and service container. */
  readonly extraHosts: readonly string[];
  /** Jobs the runner process runs at once (`concurrent`). */
  readonly concurrent: number;
  /** `[docker] privileged`: Docker-in-Docker services need it. */
  readonly privileged: boolean;
  /** The default job image when a job names none. */
  readonly defaultImage: string;
  readonly pullPolicy?: readonly ('always' | 'if-not-present' | 'never')[];
  /** Seconds between the runner's polls; the mock long-polls, so this only bounds a reload. */
  readonly checkInterval?: number;
}

/** One `[[runners]]` entry beside the standing ones: a Docker-in-Docker job's, or a named runner's. */
export interface FleetEntry {
  /** Jobs with exactly these tags go to this entry (it runs no untagged jobs). */
  readonly tags: readonly string[];
  /** A user-defined network the job, its services and helpers join (instead of a per-build one). */
  readonly networkMode?: string;
  /** Extra `volumes` (`name:/path[:ro]`), e.g. the DinD `daemon.json` volume at `/etc/docker`. */
  readonly volumes?: readonly string[];
  /** Whether to map `extraHosts` into its containers (not where the mock is on the network). */
  readonly extraHosts?: readonly string[];
  /** A user's `[runners.NAME]`: registered with its own tags and `run_untagged`, named in the trace. */
  readonly named?: NamedRunnerSettings;
}

/** What a `[runners.NAME]` entry sets of its `[[runners]]` block (the rest is the fleet's). */
export interface NamedRunnerSettings {
  /** The `[[runners]] name`: the job log's "on NAME" line. */
  readonly name: string;
  readonly runUntagged: boolean;
  /** The entry's `limit`; unset: the fleet's concurrency only. */
  readonly limit?: number;
  readonly image?: string;
  readonly helperImage?: string;
  readonly privileged?: boolean;
}

/**
 * `FF_TIMESTAMPS`: the runner stamps every log line with its time to the microsecond (GitLab shows
 * them; glci strips them when it prints a log), so `glci log --timings` times each section of a
 * job exactly, not to the second of its markers.
 */
const TRACE_FLAGS = { FF_TIMESTAMPS: true } as const;

interface RegisteredEntry extends FleetEntry {
  readonly token: string;
}

interface SavedFleet {
  /** The standing entries' runners, by key (`STANDING_ENTRIES`). */
  readonly standing?: Readonly<Record<string, RegisteredEntry>>;
  /** The shared entry, as daemons before the standing entries kept it. */
  readonly shared?: RegisteredEntry;
  readonly entries?: Readonly<Record<string, RegisteredEntry>>;
  readonly runnerIds?: readonly string[];
}

/**
 * The runner container and its `config.toml`: the standing entries (`STANDING_ENTRIES`: untagged
 * jobs on Docker's default bridge, jobs with services on a per-build network), plus entries added
 * and removed as jobs need them. Each entry is a runner registered with the mock; a change of
 * entries rewrites the config in the container's volume and sends SIGHUP, never a restart, so
 * running jobs go on.
 *
 * The runner holds one request per entry open at the mock (a long poll) and each held request
 * takes one of its `concurrent` workers, so `concurrent` is the jobs allowed at once plus one per
 * entry: a job for any entry is picked up the moment it is queued, even while others fill the
 * jobs allowed. The jobs at once are then limited by the daemon (`RunnerSlots`), not the runner.
 */
export class RunnerFleet {
  readonly #topology: GlciTopology;
  readonly #client: MockClient;
  readonly #settings: FleetSettings;
  readonly #logger: Logger;
  readonly #suffix: string;
  readonly #entries = new Map<string, RegisteredEntry>();
  readonly #runnerIds = new Set<string>();
  readonly #standing = new Map<string, RegisteredEntry>();
  /** The volume the standing entries check out into (`GlciTopology.ensureBuildsVolume`). */
  #buildsVolume: string | undefined;
  #container: StartedContainer | undefined;
  /** Config changes one at a time, in order. */
  #updating: Promise<unknown> = Promise.resolve();
  readonly #stateFile: string | undefined;
  readonly #project: string | undefined;

  constructor(options: {
    topology: GlciTopology;
    client: MockClient;
    settings: FleetSettings;
    logger: Logger;
    /** The `{suffix}` of `glci-runner-{suffix}`. */
    suffix: string;
    /**
     * A project's own runner container (`glci-runner-{suffix}-{project}`): only the entries added
     * (the project's runners), none of the standing ones.
     */
    project?: string;
    /**
     * Where the entries and their tokens are kept (0600), so that a restarted daemon keeps the
     * runner's entries, and the jobs running under them, instead of registering new ones.
     */
    stateFile?: string;
  }) {
    this.#topology = options.topology;
    this.#client = options.client;
    this.#settings = options.settings;
    this.#logger = options.logger.child({ module: 'runner-fleet' });
    this.#suffix = options.suffix;
    this.#project = options.project;
    this.#stateFile = options.stateFile;
  }

  get container(): StartedContainer | undefined {
    return this.#container;
  }

  /**
   * The ids the runner labels its job containers, networks and volumes with: one per entry ever
   * registered (an entry removed after its job may have left objects behind).
   */
  runnerIds(): string[] {
    return [...this.#runnerIds];
  }

  /**
   * Registers the standing entries' runners (and `initial` entries: a project container has no
   * other) and starts (or adopts) the runner container.
   */
  async start(initial: Readonly<Record<string, FleetEntry>> = {}): Promise<StartedContainer> {
    if (this.#standing.size === 0 && this.#entries.size === 0) await this.#load();
    const missing = this.#standingEntries().filter((entry) => !this.#standing.has(entry.key));
    const added = Object.entries(initial).filter(([key]) => !this.#entries.has(key));
    if (missing.length > 0 || added.length > 0) {
      await Promise.all(missing.map((entry) => this.#registerStanding(entry)));
      for (const [key, entry] of added) await this.#register(key, entry);
      await this.#save();
    }
    this.#buildsVolume = await this.#topology.ensureBuildsVolume(this.#settings.image);
    this.#container = await this.#topology.ensureRunner({
      suffix: this.#suffix,
      ...(this.#project !== undefined ? { tier: 'project', project: this.#project } : { tier: 'shared' }),
      image: this.#settings.image,
      configToml: this.#render(),
      extraHosts: this.#settings.extraHosts,
      cmd: ['run', '--working-directory=/home/gitlab-runner', '--config=/etc/gitlab-runner/config.toml'],
    });
    return this.#container;
  }

  /** Adds an entry (registering a runner for it) and reloads the runner. */
  add(key: string, entry: FleetEntry): Promise<void> {
    return this.#serialized(async () => {
      if (this.#entries.has(key)) return;
      await this.#register(key, entry);
      await this.#save();
      await this.#apply();
      this.#logger.info('runner entry added', { entry: key, tags: entry.tags });
    });
  }

  /** The keys of the entries added (not the standing ones). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** An added entry as it was added (without its token). */
  entry(key: string): FleetEntry | undefined {
    const registered = this.#entries.get(key);
    if (!registered) return undefined;
    const { token: _token, ...entry } = registered;
    return entry;
  }

  /** Removes an entry once its job is over, and reloads the runner. */
  remove(key: string): Promise<void> {
    return this.#serialized(async () => {
      if (!this.#entries.delete(key)) return;
      await this.#save();
      await this.#apply();
      this.#logger.info('runner entry removed', { entry: key });
    });
  }

  async #register(key: string, entry: FleetEntry): Promise<void> {
    const { token } = await this.#client.registerRunner({
      tags: entry.tags,
      runUntagged: entry.named?.runUntagged ?? false,
      description: entry.named?.name ?? `glci ${key}`,
    });
    this.#entries.set(key, { ...entry, token });
    this.#runnerIds.add(runnerShortToken(token));
  }

  /** The standing entries this container holds: none in a project's container. */
  #standingEntries(): readonly StandingEntry[] {
    return this.#project === undefined ? STANDING_ENTRIES : [];
  }

  async #registerStanding(entry: StandingEntry): Promise<void> {
    const { token } = await this.#client.registerRunner({
      tags: [...entry.tags],
      runUntagged: entry.runUntagged,
      description: entry.description,
    });
    this.#standing.set(entry.key, { tags: entry.tags, token });
    this.#runnerIds.add(runnerShortToken(token));
  }

  /** A previous daemon's entries, if the mock still knows their runners. */
  async #load(): Promise<void> {
    if (!this.#stateFile) return;
    let saved: SavedFleet;
    try {
      saved = JSON.parse(await readFile(this.#stateFile, 'utf8')) as SavedFleet;
    } catch {
      return;
    }
    for (const id of saved.runnerIds ?? []) this.#runnerIds.add(id);
    const standing = { ...(saved.shared ? { shared: saved.shared } : {}), ...saved.standing };
    const known = async (entry: RegisteredEntry) => this.#client.verifyRunner(entry.token);
    for (const [key, entry] of Object.entries(standing)) {
      if (this.#standingEntries().some((candidate) => candidate.key === key) && (await known(entry)))
        this.#standing.set(key, entry);
    }
    // Without the shared runner, the mock is not the one the entries were registered with.
    if (this.#project === undefined && !this.#standing.has('shared')) {
      this.#standing.clear();
      return;
    }
    for (const [key, entry] of Object.entries(saved.entries ?? {})) {
      if (await known(entry)) this.#entries.set(key, entry);
    }
    this.#logger.info('runner entries taken over', { entries: this.#entries.size + this.#standing.size });
  }

  async #save(): Promise<void> {
    if (!this.#stateFile) return;
    const saved: SavedFleet = {
      standing: Object.fromEntries(this.#standing),
      entries: Object.fromEntries(this.#entries),
      runnerIds: [...this.#runnerIds],
    };
    await mkdir(path.dirname(this.#stateFile), { recursive: true });
    const tmp = `${this.#stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(saved), { mode: 0o600 });
    await rename(tmp, this.#stateFile);
  }

  async #apply(): Promise<void> {
    if (!this.#container) throw new Error('the runner fleet has not been started');
    await this.#topology.updateRunnerConfig(this.#container, this.#render());
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#updating.then(work, work);
    this.#updating = next.catch(() => undefined);
    return next;
  }

  #render(): string {
    if (this.#project === undefined && !this.#standing.has('shared'))
      throw new Error('the shared runner is not registered');
    const settings = this.#settings;
    const base = (entry: RegisteredEntry, name: string): RunnerEntryOptions => ({
      url: settings.mockUrl,
      token: entry.token,
      name,
      executor: 'docker',
      docker: {
        image: settings.defaultImage,
        privileged: settings.privileged,
        pullPolicy: settings.pullPolicy ?? ['if-not-present'],
        extraHosts: entry.extraHosts ?? settings.extraHosts,
        // No `/cache` volume: the CI cache is the mock's S3, and every one-part volume costs the
        // runner a volume and a permission-setting container per job.
        volumes: [...(entry.volumes ?? [])],
        ...(settings.helperImage ? { helperImage: settings.helperImage } : {}),
      },
    });
    const standing = this.#standingEntries()
      .filter((entry) => this.#standing.has(entry.key))
      .map((entry): RunnerEntryOptions => {
        const options = base(this.#standing.get(entry.key)!, `glci-${entry.key}`);
        return {
          ...options,
          docker: {
            ...options.docker,
            // A volume bound at the builds dir: the runner neither makes nor permission-sets one
            // per job, and checkouts are kept for the `fetch` strategy. Jobs then check out into
            // `/builds/<runner>/<concurrent id>/<project path>` (the runner's shared builds dir).
            ...(this.#buildsVolume ? { volumes: [`${this.#buildsVolume}:/builds`] } : {}),
          },
          featureFlags: { ...TRACE_FLAGS, FF_NETWORK_PER_BUILD: entry.perBuildNetwork },
        };
      });
    const added = [...this.#entries].map(([key, entry]): RunnerEntryOptions => {
      if (entry.named) return namedEntry(base(entry, entry.named.name), entry.named);
      const options = base(entry, `glci-${key}`);
      return {
        ...options,
        docker: {
          ...options.docker,
          // Docker-in-Docker: the service writes its TLS client certificates there for the job.
          volumes: ['/certs/client', ...(entry.volumes ?? [])],
          ...(entry.networkMode ? { networkMode: entry.networkMode } : {}),
        },
        // A job on a network glci made has no per-build network of the runner's.
        featureFlags: { ...TRACE_FLAGS, FF_NETWORK_PER_BUILD: !entry.networkMode },
      };
    });
    const entries = [...standing, ...added];
    return renderRunnersConfig(
      {
        // One worker per entry for its held request, on top of the jobs at once (see above).
        concurrent: Math.max(1, settings.concurrent) + entries.length,
        checkInterval: settings.checkInterval ?? 1,
        logLevel: 'info',
      },
      entries,
    );
  }
}

/**
 * A user's runner: its own job image, helper image, privileged mode and `limit`, its volumes
 * only (no builds volume: its jobs check out as on any runner), and a per-build network, so that
 * its jobs' services are reached by alias whatever they are.
 */
function namedEntry(options: RunnerEntryOptions, named: NamedRunnerSettings): RunnerEntryOptions {
  return {
    ...options,
    ...(named.limit !== undefined ? { limit: named.limit } : {}),
    docker: {
      ...options.docker,
      ...(named.image ? { image: named.image } : {}),
      ...(named.helperImage ? { helperImage: named.helperImage } : {}),
      ...(named.privileged !== undefined ? { privileged: named.privileged } : {}),
    },
    featureFlags: { ...TRACE_FLAGS, FF_NETWORK_PER_BUILD: true },
  };
}
