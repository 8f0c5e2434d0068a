import type { Readable } from 'node:stream';
import type { ContainerSpec, FileToCopy } from './container-spec.js';
import type { GlciFilter } from './labels.js';

/**
 * The orchestrator's contract: the few Docker operations the rest of glci needs, all labelled,
 * all logged, all failing with an error that says what glci was doing. `DockerOrchestrator` is
 * the implementation on dockerode; the topology, recovery and system commands are written
 * against this interface.
 */
export interface Orchestrator {
  /** Makes `image` available on the daemon according to `policy` (default `if-not-present`). */
  pull(image: string, options?: PullOptions): Promise<PullResult>;
  /** Creates a network, or adopts an existing glci network of that name. */
  createNetwork(spec: NetworkSpec): Promise<StartedNetwork>;
  /** Returns the network if it exists (any glci network of that name), else undefined. */
  getNetwork(name: string): Promise<StartedNetwork | undefined>;
  /** Creates a volume if it is missing; returns whether it was created. */
  ensureVolume(spec: VolumeSpec): Promise<{ name: string; created: boolean }>;
  /** Creates, fills (`spec.files`) and starts a container. */
  run(spec: ContainerSpec): Promise<StartedContainer>;
  /** Returns a handle on an existing glci container by name or ID, or undefined. */
  getContainer(nameOrId: string): Promise<StartedContainer | undefined>;
  /** glci's objects matching `filter`, found by label only. */
  find(filter?: GlciFilter): Promise<FoundObjects>;
  /** Removes glci objects matching `filter` (see `reaper.ts` for what plain and `all` remove). */
  reap(filter?: GlciFilter, options?: ReapOptions): Promise<ReapReport>;
}

export type PullPolicy = 'always' | 'if-not-present' | 'never';

/** A registry credential in the Engine API's `X-Registry-Auth` form. */
export interface RegistryAuth {
  readonly serveraddress: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

/** One progress message of a pull, per layer; `current`/`total` are bytes when Docker sends them. */
export interface PullProgressEvent {
  readonly image: string;
  /** The layer's short ID; undefined for image-level messages (`Pulling from ...`, `Digest: ...`). */
  readonly layer: string | undefined;
  readonly status: string;
  readonly current: number | undefined;
  readonly total: number | undefined;
}

export interface PullOptions {
  readonly policy?: PullPolicy;
  /** Credentials; by default they come from `$DOCKER_CONFIG/config.json`. */
  readonly auth?: RegistryAuth;
  readonly onProgress?: (event: PullProgressEvent) => void;
  readonly signal?: AbortSignal;
}

export interface PullResult {
  readonly image: string;
  /** False when the policy let an image already present be used. */
  readonly pulled: boolean;
}

export interface NetworkSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly internal?: boolean;
}

export interface VolumeSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface StartedNetwork extends AsyncDisposable {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Attaches a container; a container already attached is left as it is. */
  connect(container: string, options?: { aliases?: readonly string[] }): Promise<void>;
  /** Detaches a container; one that is gone or not attached is fine. */
  disconnect(container: string): Promise<void>;
  /** Names or IDs of the containers attached now. */
  containers(): Promise<string[]>;
  /** Removes the network, detaching glci containers first; a network already gone is fine. */
  remove(): Promise<void>;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartedContainer extends AsyncDisposable {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  exec(
    cmd: readonly string[],
    options?: { env?: Record<string, string>; signal?: AbortSignal },
  ): Promise<ExecResult>;
  /** Copies files into the container (also into its volumes), e.g. a runner's `config.toml`. */
  copyFiles(files: readonly FileToCopy[]): Promise<void>;
  /**
   * Demultiplexed stdout and stderr as one text stream (`stderr: false`: stdout only); `follow`
   * keeps it open until the container stops; `since` (Docker's `seconds.nanoseconds`) leaves out
   * what was written before, e.g. by an earlier start of the same container.
   */
  logs(options?: {
    follow?: boolean;
    signal?: AbortSignal;
    since?: string;
    stderr?: boolean;
  }): Promise<Readable>;
  wait(options?: { signal?: AbortSignal }): Promise<{ exitCode: number }>;
  /** Sends a signal (`SIGHUP` to make a runner reload its config). */
  kill(signal?: string): Promise<void>;
  /** Stops (default 10 s grace) and by default removes the container; a container already gone is fine. */
  stop(options?: { timeoutMs?: number; remove?: boolean }): Promise<void>;
  /** Starts a stopped (or created) container again; one already running is fine. */
  start(): Promise<void>;
  /**
   * `running`, `exited`, `created`, …, or `missing` when the container no longer exists;
   * `startedAt`, `finishedAt`: when it last started and last stopped (RFC 3339 with nanoseconds).
   */
  state(): Promise<{
    status: string;
    running: boolean;
    health?: string;
    startedAt?: string;
    finishedAt?: string;
  }>;
  /**
   * Runs the container's health check once, for engines that do not run it on their own (Podman
   * without systemd); false where the engine has no such request (Docker runs its checks itself).
   */
  runHealthcheck?(): Promise<boolean>;
}

export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly networks: readonly string[];
  readonly sizeRw?: number;
  readonly createdAt: Date;
}

export interface NetworkInfo {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: readonly string[];
}

export interface VolumeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly mountpoint: string;
  /** Bytes, from the daemon's disk-usage data; -1 when the daemon did not compute it. */
  readonly size?: number;
  /** How many containers use the volume; -1 when unknown. */
  readonly refCount?: number;
}

export interface FoundObjects {
  readonly containers: readonly ContainerInfo[];
  readonly networks: readonly NetworkInfo[];
  readonly volumes: readonly VolumeInfo[];
}

export interface ReapOptions {
  /** Also remove running containers, networks in use and the persistent volumes (registry data). */
  readonly all?: boolean;
}

export interface ReapReport {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
  /** Bytes freed: containers' writable layers plus removed volumes. */
  readonly reclaimedBytes: number;
}
