import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readKibFields } from './proc.js';

const execFileAsync = promisify(execFile);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** `MemFree` and `MemTotal` of /proc/meminfo, in bytes (undefined where there is no /proc). */
export function readMemoryInfo(): { free: number; total: number } | undefined {
  const fields = readKibFields('/proc/meminfo', ['MemFree', 'MemTotal']);
  if (!fields || !Number.isFinite(fields.MemFree) || !Number.isFinite(fields.MemTotal)) return undefined;
  return { free: fields.MemFree, total: fields.MemTotal };
}

export interface PrimerOptions {
  /** Where the ballast files go: on the same kind of disk-backed filesystem as the registries' storage. */
  readonly directory: string;
  /** Free memory to leave; the kernel reclaims clean page cache below it. Default 512 MiB. */
  readonly keepFree?: number;
  /** Less than this to fill is left alone (the kernel keeps some slack of its own). Default 64 MiB. */
  readonly minimumWrite?: number;
  /** Size of one ballast file. Default 1 GiB. */
  readonly segmentBytes?: number;
  /** Upper bound of the ballast on disk. Default: total memory, and never the last 8 GiB of the disk. */
  readonly maxBytes?: number;
  /** Reads free memory (tests replace it). */
  readonly memory?: () => { free: number; total: number } | undefined;
  readonly progress?: (message: string) => void;
}

/**
 * Fills the machine's free memory with a ballast of clean page cache, so that what the timed runs
 * then write lands in page-cache pages the kernel reclaims, not in free pages.
 *
 * Why: on a virtual machine whose balloon driver reports free pages to the hypervisor (this
 * project's machine: Firecracker with `virtio_balloon`), a page that was free is unbacked on the
 * host, and the first write into it costs a host fault. Writing into such pages cost 2.4-2.7 s of
 * system CPU per GiB here, against 0.6-0.9 s into reclaimed page cache. Without the ballast a push
 * ran at 300 or at 700 MiB/s depending on how much memory happened to be free, which the previous
 * group's deleted blobs decide; it hit both registries, at random.
 *
 * `prime()` runs before a scenario group starts its registries: it writes files of zeros, each
 * flushed to disk so its pages are clean, until free memory is down to `keepFree` or a write no
 * longer lowers it (the kernel is then reclaiming to make room). The ballast is
 * then older than anything the group writes or reads, so the kernel reclaims it first. The files
 * stay (what of them is still cached need not be written again) until the ballast would pass
 * `maxBytes` on disk; then the oldest go first. Writing it is untimed; on a machine without the
 * effect it costs only that time.
 */
export class PageCachePrimer {
  readonly #directory: string;
  readonly #keepFree: number;
  readonly #minimumWrite: number;
  readonly #segmentBytes: number;
  readonly #maxBytes: number;
  readonly #memory: () => { free: number; total: number } | undefined;
  readonly #progress: (message: string) => void;
  /** Ballast files on disk, oldest first. */
  readonly #files: { readonly path: string; readonly bytes: number }[] = [];
  #nextName = 0;
  #written = 0;

  constructor(options: PrimerOptions) {
    this.#directory = options.directory;
    this.#keepFree = options.keepFree ?? 512 * MiB;
    this.#minimumWrite = options.minimumWrite ?? 64 * MiB;
    this.#segmentBytes = options.segmentBytes ?? GiB;
    this.#memory = options.memory ?? readMemoryInfo;
    this.#progress = options.progress ?? (() => {});
    mkdirSync(this.#directory, { recursive: true });
    this.#maxBytes = options.maxBytes ?? defaultLimit(this.#directory, this.#memory()?.total ?? 0);
  }

  /** Bytes of ballast written so far (over every `prime()`). */
  get written(): number {
    return this.#written;
  }

  /** Writes ballast until free memory is at `keepFree`; returns the bytes written. */
  async prime(): Promise<number> {
    let written = 0;
    // Bounded by the disk limit even if free memory never drops (something else freeing as much).
    while (written < this.#maxBytes) {
      const free = this.#memory()?.free;
      if (free === undefined || free - this.#keepFree < this.#minimumWrite) break;
      const bytes = Math.min(this.#segmentBytes, free - this.#keepFree, this.#maxBytes - written);
      if (written === 0)
        this.#progress(
          `priming the page cache: ${Math.round(free / MiB)} MiB free, filling it with clean ballast`,
        );
      this.#makeRoom(bytes);
      await this.#writeFile(bytes);
      written += bytes;
      // Memory is full once writing no longer lowers free memory: the kernel now reclaims (the
      // oldest ballast first) to make room, and more ballast would only replace ballast.
      const after = this.#memory()?.free;
      if (after === undefined || free - after < bytes / 2) break;
    }
    this.#written += written;
    return written;
  }

  /** Removes the ballast files and their directory. */
  dispose(): void {
    rmSync(this.#directory, { recursive: true, force: true });
  }

  /** Deletes the oldest files until `bytes` more fit under `maxBytes`. */
  #makeRoom(bytes: number): void {
    let total = this.#files.reduce((sum, file) => sum + file.bytes, 0);
    while (total + bytes > this.#maxBytes && this.#files.length > 0) {
      const oldest = this.#files.shift()!;
      rmSync(oldest.path, { force: true });
      total -= oldest.bytes;
    }
  }

  /**
   * One ballast file, written and flushed by `dd` in a child process: writing gigabytes from the
   * bench's own process left its V8 heap in a state where the pulls that followed spent 0.8-1.1 s of
   * client CPU per GiB in major GCs instead of 0.22-0.35 s, which made the client the bottleneck.
   */
  async #writeFile(bytes: number): Promise<void> {
    const filePath = path.join(this.#directory, `ballast-${this.#nextName++}`);
    // conv=fdatasync: clean pages are what the kernel reclaims first and without writing anything.
    await execFileAsync('dd', [
      'if=/dev/zero',
      `of=${filePath}`,
      'bs=8M',
      'iflag=count_bytes',
      `count=${bytes}`,
      'conv=fdatasync',
      'status=none',
    ]);
    this.#files.push({ path: filePath, bytes });
  }
}

/** Total memory, but never the last 8 GiB of the disk under `directory`. */
function defaultLimit(directory: string, totalMemory: number): number {
  try {
    const disk = statfsSync(directory);
    return Math.max(0, Math.min(totalMemory, disk.bavail * disk.bsize - 8 * GiB));
  } catch {
    return 0;
  }
}
