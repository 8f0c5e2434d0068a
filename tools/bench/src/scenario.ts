import type { BlobSource } from './blob-source.js';
import type { RegistryClient } from './registry-client.js';
import type { RegistryLauncher, RegistryUnderTest } from './registry-under-test.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Sizes and durations of one run: the full benchmark, or `--quick` for a smoke run. */
export interface BenchSizes {
  readonly quick: boolean;
  /** The large blob of the push and pull rows. */
  readonly blob: number;
  /**
   * The blob of the S3 push row: smaller than `blob`, because distribution 2.8.2 pushes to the S3
   * server at about 8 MiB/s (two minutes per GiB, three runs) and the full bench must stay well
   * under 20 minutes; a node's memory while pushing does not depend on the size (parts of 8 MiB).
   */
  readonly s3PushBlob: number;
  /** The chunk size of the chunked push row. */
  readonly chunk: number;
  /** The blob of each push row's warm-up run. */
  readonly warmupBlob: number;
  /** Timed runs per row and side; the report gives the median. */
  readonly repetitions: number;
  /** Concurrent clients of the manifest rows. */
  readonly manifestClients: number;
  /** Length of one manifest load run, in seconds. */
  readonly manifestSeconds: number;
  /** Layers added over the base image in the docker push/pull row, and the random bytes in each. */
  readonly dockerLayers: number;
  readonly dockerLayerBytes: number;
}

export const FULL_SIZES: BenchSizes = {
  quick: false,
  blob: GiB,
  s3PushBlob: 256 * MiB,
  chunk: 16 * MiB,
  warmupBlob: 64 * MiB,
  repetitions: 3,
  manifestClients: 32,
  manifestSeconds: 4,
  dockerLayers: 5,
  dockerLayerBytes: 8 * MiB,
};

export const QUICK_SIZES: BenchSizes = {
  quick: true,
  blob: 32 * MiB,
  s3PushBlob: 32 * MiB,
  chunk: 4 * MiB,
  warmupBlob: 4 * MiB,
  repetitions: 1,
  manifestClients: 32,
  manifestSeconds: 1,
  dockerLayers: 3,
  dockerLayerBytes: 256 * 1024,
};

/** What a scenario gets for the whole run. */
export interface BenchContext {
  readonly sizes: BenchSizes;
  /** A fresh pseudo-random blob (its digest is computed on first use). */
  blob(size: number): BlobSource;
  /** A progress line on stderr. */
  progress(message: string): void;
}

/** One registry as a scenario group sees it: fresh for the group, with a client and scratch state. */
export interface Side {
  readonly registry: RegistryUnderTest;
  /** A keep-alive client with a few connections. */
  readonly client: RegistryClient;
  /** Another client with `connections` keep-alive connections, closed with the side. */
  connect(connections: number): RegistryClient;
  /** Scratch state a group's `prepare` leaves for its rows. */
  readonly state: Map<string, unknown>;
}

/** One timed run of a row on one side. */
export interface Run {
  /** Warm-up runs are measured like the others but not reported. */
  readonly warmup: boolean;
  readonly index: number;
  /**
   * Times `work`, sampling the registry's RSS meanwhile; returns seconds. Everything a row does
   * outside `timed` (making data, building images, cleaning up) is not measured.
   */
  timed(work: () => Promise<void>): Promise<number>;
}

/** One line of the report. */
export interface Row {
  readonly id: string;
  readonly title: string;
  readonly unit: 'MiB/s' | 'req/s' | 's';
  /** Throughput rows are `higher`; time rows are `lower`. */
  readonly better: 'higher' | 'lower';
  /**
   * The ratio the candidate must reach: candidate ÷ baseline for throughput, baseline ÷ candidate
   * for time, so a ratio above 1 always means the candidate is faster.
   */
  readonly target: number;
  /** When set, the candidate's peak RSS during this row is reported against this many bytes. */
  readonly rssTarget?: number;
  /** Whether to run one untimed warm-up per side first (default true). */
  readonly warmup?: boolean;
  /** One run; returns the row's value in `unit`. */
  measure(side: Side, run: Run): Promise<number>;
}

/** A group of rows that share set-up; each group lives in its own file under `scenarios/`. */
export interface ScenarioGroup {
  readonly id: string;
  readonly rows: readonly Row[];
  /** Once per side before the rows (untimed): push what the rows read. */
  prepare?(side: Side): Promise<void>;
  /**
   * The registries this group runs on, when not the run's own (e.g. both sides on S3, or in proxy
   * mode in front of one upstream): receives the run's launchers, returns the group's. The harness
   * starts them per group, samples their RSS and stops them, as for any group.
   */
  launchers?(run: SideLaunchers): SideLaunchers;
  /**
   * Once after the group, after both sides stopped, also when its set-up failed: stops what the
   * group started for itself (e.g. a shared upstream).
   */
  finish?(): Promise<void>;
}

/** The two registries a group compares. */
export interface SideLaunchers {
  readonly baseline: RegistryLauncher;
  readonly candidate: RegistryLauncher;
}

/** `1 GiB`, `16 MiB`, `256 KiB` */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  return `${Number((bytes / 1024).toFixed(1))} KiB`;
}
