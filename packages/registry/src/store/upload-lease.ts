import { randomUUID } from 'node:crypto';
import type { Logger } from '@glci/config';
import { PathExistsError, type StorageDriver } from '../driver/storage-driver.js';
import { UploadSessionBusyError } from '../errors.js';
import { listOrEmpty, orUndefined } from './links.js';
import { baseName, LEASE_FILE, uploadLeasePath, uploadPath } from './paths.js';
import { currentProcess, isProcessGone, type ProcessIdentity } from './process-identity.js';

/** How long a lease lives without being renewed (a holder renews every third of it). */
export const DEFAULT_UPLOAD_LEASE_TTL_MS = 60_000;

/** What a lease file holds. */
interface LeaseRecord {
  /** Unique per acquisition: tells a holder its own lease from a later one. */
  readonly token: string;
  /** The holder's clock (ms) at acquisition or at the last renewal. */
  readonly renewedAt: number;
  /** The holder's time to live: a contender judges expiry with it. */
  readonly ttlMs: number;
  /** The holding process: on its host, a lease of a process that died is taken over at once. */
  readonly holder?: Partial<ProcessIdentity>;
}

export interface UploadLeasesOptions {
  readonly driver: StorageDriver;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly ttlMs: number;
}

/** The lease was taken over (its holder stalled past its time to live) or its session is gone. */
export class UploadLeaseLostError extends Error {
  constructor(readonly uploadId: string) {
    super(`the lease on upload session ${uploadId.slice(0, 100)} was lost`);
    this.name = 'UploadLeaseLostError';
  }
}

/**
 * One writer per upload session, across requests, processes and nodes sharing the storage.
 *
 * A request that writes, commits or cancels a session first takes its lease; a second request
 * gets `UploadSessionBusyError` and changes nothing. Two layers:
 *
 * - In this process, a map from session to its holder, reserved synchronously before any storage
 *   call: exact, with no time limit (the holder releases when its request ends; an idle request is
 *   cut by the session's idle timeout).
 * - In storage, `_uploads/<id>/lease-<generation>`, created with an exclusive `putContent`: of
 *   concurrent takers exactly one creates the next generation. The holder renews it every third of
 *   its time to live and deletes it on release. A lease not renewed within its time to live (its
 *   process died, or stalled that long) may be taken over with the next generation, and so may at
 *   once the lease of a process that provably died on the same host (a restart after a crash);
 *   before
 *   publishing anything the holder checks that the newest generation is still its own
 *   (`assertHeld`), so a holder that stalled past its lease finds out and stops.
 *
 * What storage leases assume: node clocks agree to well within the time to live, and no holder
 * stalls longer than the time to live between its last check and its next write. Integrity does not
 * rest on them: a commit publishes only bytes it verified (see UploadSession.commit).
 */
export class UploadLeases {
  readonly #local = new Map<string, UploadLease>();
  /** This process, written into every lease it takes. */
  readonly holder: ProcessIdentity = currentProcess();

  constructor(readonly options: UploadLeasesOptions) {}

  /** The lease a request of this process holds on the session, if any. */
  local(repository: string, id: string): UploadLease | undefined {
    return this.#local.get(sessionKey(repository, id));
  }

  /**
   * Takes the session's lease, or rejects with `UploadSessionBusyError` when someone holds it.
   * `size` reports the session's size while this lease is held (for others' `416` answers).
   */
  async acquire(repository: string, id: string, size: () => number): Promise<UploadLease> {
    const key = sessionKey(repository, id);
    const holder = this.#local.get(key);
    if (holder) throw new UploadSessionBusyError(id, holder.size());
    const lease = new UploadLease(this, repository, id, size);
    this.#local.set(key, lease);
    try {
      await lease.take();
      return lease;
    } catch (error) {
      this.#local.delete(key);
      throw error;
    }
  }

  /** Whether anyone holds the session now: a request of this process, or a live storage lease. */
  async held(repository: string, id: string): Promise<boolean> {
    if (this.#local.has(sessionKey(repository, id))) return true;
    const latest = await this.latest(repository, id);
    return latest !== undefined && isLive(latest.record, this.options.clock().getTime());
  }

  /** The newest lease generation in storage and every generation present. */
  async latest(
    repository: string,
    id: string,
  ): Promise<{ generation: number; record: LeaseRecord; generations: number[] } | undefined> {
    const generations = (await listOrEmpty(this.options.driver, uploadPath(repository, id)))
      .map((path) => LEASE_FILE.exec(baseName(path)))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]));
    if (generations.length === 0) return undefined;
    const generation = Math.max(...generations);
    const content = await orUndefined(
      this.options.driver.getContent(uploadLeasePath(repository, id, generation)),
    );
    // Deleted between the listing and the read: its holder released it, or a newer one replaced it.
    const record = content ? decodeRecord(content) : { token: '', renewedAt: 0, ttlMs: 0 };
    return { generation, record, generations };
  }

  forget(lease: UploadLease): void {
    const key = sessionKey(lease.repository, lease.id);
    if (this.#local.get(key) === lease) this.#local.delete(key);
  }
}

/** A held lease on one upload session (see `UploadLeases`). */
export class UploadLease {
  readonly #leases: UploadLeases;
  readonly #token = randomUUID();
  readonly #controller = new AbortController();
  #generation = 0;
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(
    leases: UploadLeases,
    readonly repository: string,
    readonly id: string,
    /** The session's size while held. */
    public size: () => number,
  ) {
    this.#leases = leases;
  }

  /** Aborted when the lease is found lost: writes under it must stop. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Creates the next generation in storage; `UploadSessionBusyError` when a live one exists. */
  async take(): Promise<void> {
    const { driver, clock, ttlMs } = this.#leases.options;
    const now = clock().getTime();
    const latest = await this.#leases.latest(this.repository, this.id);
    if (latest && isLive(latest.record, now)) throw new UploadSessionBusyError(this.id, this.size());
    this.#generation = (latest?.generation ?? 0) + 1;
    try {
      await driver.putContent(this.#path(), encodeRecord(this.#record(now)), {
        exclusive: true,
        durable: false,
      });
    } catch (error) {
      if (error instanceof PathExistsError) throw new UploadSessionBusyError(this.id, this.size());
      throw error;
    }
    this.#renewedAt = now;
    // Generations before ours belong to holders that released or expired: they can go.
    for (const generation of latest?.generations ?? []) {
      await driver.delete(uploadLeasePath(this.repository, this.id, generation)).catch(() => undefined);
    }
    this.#timer = setInterval(
      () => {
        this.#renewing ??= this.#renew().finally(() => {
          this.#renewing = undefined;
        });
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    this.#timer.unref();
  }

  /**
   * Rejects with `UploadLeaseLostError` unless this lease is still the newest generation in
   * storage: the fencing check before anything is published under it. Free while the lease is
   * young (under half its time to live since it was taken or renewed).
   */
  async assertHeld(): Promise<void> {
    if (this.#controller.signal.aborted) throw new UploadLeaseLostError(this.id);
    // Taken or renewed less than half a lifetime ago by this process's clock: no one may have taken
    // it over yet (a contender waits a whole lifetime without renewal), so storage need not be asked.
    const { clock, ttlMs } = this.#leases.options;
    if (clock().getTime() - this.#renewedAt < ttlMs / 2) return;
    const latest = await this.#leases.latest(this.repository, this.id);
    if (latest?.generation !== this.#generation || latest.record.token !== this.#token) {
      this.#lose('a newer lease exists, or the session is gone');
      throw new UploadLeaseLostError(this.id);
    }
  }

  /** Stops renewing and waits for a renewal in flight (before the session's files are deleted). */
  async quiesce(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
  }

  /**
   * Gives the session back. `sessionGone`: its files were deleted already (commit, cancel), so
   * there is no lease file left to delete.
   */
  async release(options: { sessionGone?: boolean } = {}): Promise<void> {
    await this.quiesce();
    try {
      if (!options.sessionGone) await this.#leases.options.driver.delete(this.#path());
    } finally {
      this.#leases.forget(this);
    }
  }

  async #renew(): Promise<void> {
    const { driver, clock, ttlMs, logger } = this.#leases.options;
    const now = clock().getTime();
    if (now - this.#renewedAt > ttlMs) {
      // This process stalled past the lease (or the clock jumped): another node may hold it now.
      this.#lose('renewal came after the lease expired');
      return;
    }
    try {
      await driver.putContent(this.#path(), encodeRecord(this.#record(now)), { durable: false });
      this.#renewedAt = now;
    } catch (error) {
      logger.warn('could not renew an upload lease', { upload: this.id, error: String(error) });
    }
  }

  #lose(reason: string): void {
    if (this.#controller.signal.aborted) return;
    this.#leases.options.logger.warn('upload lease lost', { repo: this.repository, upload: this.id, reason });
    this.#controller.abort(new UploadLeaseLostError(this.id));
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #path(): string {
    return uploadLeasePath(this.repository, this.id, this.#generation);
  }

  #record(now: number): LeaseRecord {
    const { ttlMs } = this.#leases.options;
    return { token: this.#token, renewedAt: now, ttlMs, holder: this.#leases.holder };
  }
}

function isLive(record: LeaseRecord, now: number): boolean {
  if (record.holder && isProcessGone(record.holder)) return false;
  return record.renewedAt + record.ttlMs > now;
}

function encodeRecord(record: LeaseRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record));
}

function decodeRecord(content: Uint8Array): LeaseRecord {
  try {
    const parsed = JSON.parse(Buffer.from(content).toString('utf8')) as Partial<LeaseRecord>;
    return {
      token: String(parsed.token ?? ''),
      renewedAt: Number(parsed.renewedAt ?? 0),
      ttlMs: Number(parsed.ttlMs ?? 0),
      ...(parsed.holder && typeof parsed.holder === 'object' ? { holder: parsed.holder } : {}),
    };
  } catch {
    return { token: '', renewedAt: 0, ttlMs: 0 }; // unreadable: treated as expired
  }
}

function sessionKey(repository: string, id: string): string {
  return `${repository}\u0000${id}`;
}
