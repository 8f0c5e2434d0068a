import type { DigestAlgorithm } from '../digest.js';
import { BlobUploadUnknownError } from '../errors.js';
import type { Hasher } from './hasher.js';
import { listOrEmpty, orUndefined } from './links.js';
import { baseName, uploadDataPath, uploadPath, uploadStatePath, uploadsPath } from './paths.js';
import { UploadLeases } from './upload-lease.js';
import { UploadSession } from './upload-session.js';
import type { UploadSessionHost, UploadState, UploadStoreOptions } from './upload-session-host.js';

/** An upload session as `listUploads` reports it. */
export interface UploadSessionInfo {
  readonly repository: string;
  readonly id: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly size: number;
}

/** A hasher kept alive between the requests of one session, in this process. */
interface LiveHasher {
  readonly hasher: Hasher;
  readonly size: number;
}

/** Session ids the store hands out and accepts: one path segment, never `.`-led. */
const SESSION_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
/** Live hashers kept for sessions between requests; abandoned ones are dropped oldest first. */
const MAX_LIVE_HASHERS = 4096;

/**
 * Upload sessions of all repositories of one namespace. Session state is persisted at creation and
 * refreshed by `close()`, so a session survives a restart and can continue on another node; the
 * bytes live in a pending driver writer that is resumed with `append`. One request at a time
 * writes a session (`leases`, see upload-lease.ts and upload-session.ts).
 */
export class UploadStore implements UploadSessionHost {
  readonly leases: UploadLeases;
  readonly #live = new Map<string, LiveHasher>();

  constructor(private readonly options: UploadStoreOptions) {
    this.leases = new UploadLeases({
      driver: options.driver,
      logger: options.logger,
      clock: options.clock,
      ttlMs: options.leaseTtlMs,
    });
  }

  get deps(): UploadStoreOptions {
    return this.options;
  }

  async create(repository: string, algorithm: DigestAlgorithm = 'sha256'): Promise<UploadSession> {
    const { driver, clock, uuid, hashing } = this.options;
    const id = uuid();
    const now = clock().toISOString();
    const state: UploadState = { id, repository, startedAt: now, updatedAt: now, size: 0, algorithm };
    // An empty pending writer, so every later request resumes with `append`.
    const writer = await driver.writer(uploadDataPath(repository, id));
    await writer.close();
    // Session state need only survive a crashed process: after an OS crash a client starts the
    // upload again, so the state is not flushed to disk (one fsync less per blob pushed).
    await driver.putContent(uploadStatePath(repository, id), encodeState(state), { durable: false });
    this.options.logger.debug('upload started', { repo: repository, upload: id });
    return new UploadSession(this, state, 0, { private: true, hasher: await hashing.create(algorithm) });
  }

  /** A handle on an existing session; writing through it takes the session's lease. */
  async resume(repository: string, id: string): Promise<UploadSession> {
    if (!SESSION_ID.test(id)) throw new BlobUploadUnknownError(id);
    const state = await this.readState(repository, id);
    if (!state) throw new BlobUploadUnknownError(id);
    const holder = this.leases.local(repository, id);
    if (this.#expired(state) && !holder) {
      if (!(await this.leases.held(repository, id))) await this.discard(repository, id);
      throw new BlobUploadUnknownError(id);
    }
    // The pending writer is the truth about the size: a request killed after writing but before
    // its close() leaves more bytes than the state says, and the client must resume after them.
    // While a request of this process writes the session, its writer is open: ask it instead.
    const size = holder ? holder.size() : await this.#pendingSize(repository, id);
    if (size === undefined) throw new BlobUploadUnknownError(id);
    return new UploadSession(this, size === state.size ? state : { ...state, size }, size);
  }

  /** Every session of `repository` (for stats and purging). */
  async list(repository: string): Promise<UploadSessionInfo[]> {
    const sessions: UploadSessionInfo[] = [];
    for (const path of await listOrEmpty(this.options.driver, uploadsPath(repository))) {
      const id = baseName(path);
      const state = await this.readState(repository, id).catch(() => undefined);
      if (!state) {
        // A session directory without state: a crash between its two first writes.
        sessions.push({ repository, id, startedAt: new Date(0), updatedAt: new Date(0), size: 0 });
        continue;
      }
      sessions.push({
        repository,
        id,
        startedAt: new Date(state.startedAt),
        updatedAt: new Date(state.updatedAt),
        size: (await this.#pendingSize(repository, id)) ?? state.size,
      });
    }
    return sessions;
  }

  /** Removes the sessions of `repository` idle for longer than the expiry; returns them. */
  async purgeExpired(repository: string, options: { dryRun?: boolean } = {}): Promise<UploadSessionInfo[]> {
    const cutoff = this.options.clock().getTime() - this.options.expiryMs;
    const expired: UploadSessionInfo[] = [];
    for (const session of await this.list(repository)) {
      if (session.updatedAt.getTime() >= cutoff) continue;
      if (await this.leases.held(repository, session.id)) continue; // a request is writing it now
      expired.push(session);
      if (!options.dryRun) await this.discard(repository, session.id);
    }
    return expired;
  }

  /**
   * Removes the remains of sessions that can never be resumed, without waiting for their expiry:
   * state without data (a commit that published the data and died before deleting the session, a
   * pending writer lost), and data or leases without state (a crash between a session's first two
   * writes, a session deleted under a request still writing). Only what nobody holds and nothing
   * changed for `minAgeMs`, so a session being created right now is never touched.
   */
  async reclaimAbandoned(
    repository: string,
    options: { minAgeMs: number; dryRun?: boolean },
  ): Promise<UploadSessionInfo[]> {
    const cutoff = this.options.clock().getTime() - options.minAgeMs;
    const reclaimed: UploadSessionInfo[] = [];
    for (const path of await listOrEmpty(this.options.driver, uploadsPath(repository))) {
      const id = baseName(path);
      if (!SESSION_ID.test(id) || (await this.leases.held(repository, id))) continue;
      const state = await this.readState(repository, id).catch(() => undefined);
      const pending = state ? await this.#pendingSize(repository, id) : undefined;
      if (state && pending !== undefined) continue; // resumable
      const touched = state
        ? new Date(state.updatedAt)
        : ((await orUndefined(this.options.driver.stat(path)))?.modifiedAt ?? new Date(0));
      if (touched.getTime() >= cutoff) continue;
      reclaimed.push({
        repository,
        id,
        startedAt: state ? new Date(state.startedAt) : new Date(0),
        updatedAt: touched,
        size: state?.size ?? 0,
      });
      if (!options.dryRun) await this.discard(repository, id);
    }
    return reclaimed;
  }

  /**
   * Pending writers of sessions whose directory holds nothing else (no state, no lease): invisible
   * to `list`, since a pending writer is not a file until it commits. Needs the driver's
   * `pendingWriters`; returns what was (or, with `dryRun`, would be) removed.
   */
  async reclaimOrphanedData(
    root: string,
    options: { minAgeMs: number; dryRun?: boolean },
  ): Promise<Array<{ repository: string; id: string }>> {
    const { driver, clock } = this.options;
    if (!driver.pendingWriters) return [];
    const cutoff = clock().getTime() - options.minAgeMs;
    const reclaimed: Array<{ repository: string; id: string }> = [];
    for (const writer of await driver.pendingWriters(root)) {
      const match = /^\/v1\/repositories\/(.+)\/_uploads\/([^/]+)\/data$/.exec(writer.path);
      if (!match || writer.modifiedAt.getTime() >= cutoff) continue;
      const [, repository, id] = match as unknown as [string, string, string];
      if ((await listOrEmpty(driver, uploadPath(repository, id))).length > 0) continue;
      if (this.leases.local(repository, id)) continue;
      reclaimed.push({ repository, id });
      if (!options.dryRun) await this.discard(repository, id);
    }
    return reclaimed;
  }

  async readState(repository: string, id: string): Promise<UploadState | undefined> {
    const content = await orUndefined(this.options.driver.getContent(uploadStatePath(repository, id)));
    return content === undefined
      ? undefined
      : (JSON.parse(Buffer.from(content).toString('utf8')) as UploadState);
  }

  async saveState(state: UploadState): Promise<void> {
    await this.options.driver.putContent(uploadStatePath(state.repository, state.id), encodeState(state), {
      durable: false,
    });
  }

  async discard(repository: string, id: string): Promise<void> {
    this.#live.delete(liveKey(repository, id));
    await this.options.driver.delete(uploadPath(repository, id));
  }

  keepLive(state: UploadState, hasher: Hasher | undefined, size: number): void {
    const key = liveKey(state.repository, state.id);
    this.#live.delete(key);
    if (!hasher) return;
    this.#live.set(key, { hasher, size });
    if (this.#live.size > MAX_LIVE_HASHERS) {
      const oldest = this.#live.keys().next().value;
      if (oldest !== undefined) this.#live.delete(oldest);
    }
  }

  /**
   * The hasher to continue a session of `size` bytes with, for the request holding its lease: the
   * live one of this process, else one restored from the saved state, else none (the commit reads
   * the data back). A hasher is only good at exactly the size it has seen.
   */
  async takeHasher(
    state: UploadState,
    size: number,
  ): Promise<{ hasher: Hasher; hashedSize: number } | undefined> {
    const key = liveKey(state.repository, state.id);
    const live = this.#live.get(key);
    this.#live.delete(key);
    if (live) return live.size === size ? { hasher: live.hasher, hashedSize: live.size } : undefined;
    const { hashing } = this.options;
    if (size === 0) return { hasher: await hashing.create(state.algorithm), hashedSize: 0 };
    if (state.hashState !== undefined && state.hashedSize === size && hashing.restore) {
      const hasher = await hashing.restore(state.algorithm, Buffer.from(state.hashState, 'base64'));
      return { hasher, hashedSize: size };
    }
    return undefined;
  }

  /** Bytes in the session's pending writer, or `undefined` when it has none. */
  async #pendingSize(repository: string, id: string): Promise<number | undefined> {
    const writer = await orUndefined(
      this.options.driver.writer(uploadDataPath(repository, id), { append: true }),
    );
    if (!writer) return undefined;
    const { size } = writer;
    await writer.close();
    return size;
  }

  #expired(state: UploadState): boolean {
    return new Date(state.updatedAt).getTime() + this.options.expiryMs < this.options.clock().getTime();
  }
}

function encodeState(state: UploadState): Uint8Array {
  return Buffer.from(JSON.stringify(state));
}

function liveKey(repository: string, id: string): string {
  return `${repository}\u0000${id}`;
}
