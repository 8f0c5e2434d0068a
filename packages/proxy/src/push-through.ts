import { readFile } from 'node:fs/promises';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { type Environment, expandEnvironment, type Logger } from '@glci/config';
import {
  type Descriptor,
  type Digest,
  type DigestAlgorithm,
  type ManifestPutResult,
  type ManifestStore,
  type Namespace,
  parseDigest,
  type Repository,
  type StoredManifest,
  type TagStore,
  UpstreamError,
} from '@glci/registry';
import { type Clock, systemClock } from './clock.js';
import { HttpUpstreamClient } from './http-upstream-client.js';
import { childManifests, manifestBlobs } from './manifest-references.js';
import type { UpstreamClient } from './upstream-client.js';

/**
 * The push-through mirror's settings: `[registry.upstream]` of the config (already parsed, `$VAR`
 * expanded), or the same keys in `push-through.json` / `POST /internal/push-through-config`.
 */
export interface PushThroughConfig {
  /** Default true; `false` switches mirroring off without forgetting the upstream. */
  readonly enabled?: boolean;
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
}

export interface PushThroughOptions {
  /** The initial upstream, or `undefined` to start switched off. */
  readonly upstream: PushThroughConfig | undefined;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly agent?: { http?: HttpAgent; https?: HttpsAgent };
  /** Replaces the HTTP client (embedding). */
  readonly createClient?: (config: PushThroughConfig) => UpstreamClient;
  /** Variables for `$VAR` references in `push-through.json` (default `process.env`). */
  readonly env?: Environment;
}

export interface PushThroughWatcher extends Disposable {
  /** Reads the file now (the timer does this every `intervalMs`); resolves once applied. */
  poll(): Promise<void>;
  stop(): void;
}

export interface PushThrough {
  /** Decorates `namespace`: manifest PUTs and tags are mirrored upstream before they return. */
  wrap<N extends Namespace>(namespace: N): N;
  /** Swaps the settings; pushes already running finish against the settings they started with. */
  update(config: PushThroughConfig | undefined): void;
  /** Polls a JSON file (every 2 s by default) and applies it whenever its content changes. */
  watchFile(path: string, options?: { intervalMs?: number }): PushThroughWatcher;
  /** The current upstream URL and whether mirroring is on (never the credentials). */
  current(): { enabled: boolean; url?: string };
}

interface Session {
  readonly url: string;
  readonly client: UpstreamClient;
}

/**
 * Synchronous push-through: every manifest PUT is stored locally as usual, then mirrored before the
 * client gets its answer — an index's children first (bottom-up, so the upstream is consistent
 * whenever the top manifest lands), each blob probed with HEAD and uploaded only when missing
 * (streamed from local storage), then the manifest by digest, and each tag as it is applied. An
 * upstream failure answers the client with a 5xx (UpstreamError) naming the step that failed; the
 * local copy is kept.
 */
export function createPushThrough(options: PushThroughOptions): PushThrough {
  const logger = options.logger.child({ module: 'push-through' });
  const clock = options.clock ?? systemClock;
  let session: Session | undefined;

  const open = (config: PushThroughConfig | undefined): Session | undefined => {
    if (!config || config.enabled === false) return undefined;
    const client =
      options.createClient?.(config) ??
      new HttpUpstreamClient({
        url: config.url,
        username: config.username,
        password: config.password,
        insecure: config.insecure,
        logger,
        clock,
        agent: options.agent,
      });
    return { url: client.url, client };
  };
  session = open(options.upstream);

  const update = (config: PushThroughConfig | undefined) => {
    session = open(config);
    logger.info('push-through settings changed', { enabled: session !== undefined, upstream: session?.url });
  };

  return {
    wrap<N extends Namespace>(namespace: N): N {
      const repository = async (name: string, ...rest: unknown[]) => {
        const inner = await (
          namespace.repository as (name: string, ...rest: unknown[]) => Promise<Repository>
        )(name, ...rest);
        const mirror = new Mirror(inner, () => session, logger);
        const decorated: Repository = {
          name: inner.name,
          blobs: inner.blobs,
          manifests: new PushThroughManifestStore(inner.manifests, mirror),
          tags: new PushThroughTagStore(inner.tags, mirror),
          referrers: inner.referrers,
        };
        for (const key of ['warnings', 'ociNamespace'] as const) {
          if (key in inner)
            Object.assign(decorated, { [key]: (inner as unknown as Record<string, unknown>)[key] });
        }
        return decorated;
      };
      // Everything but `repository` is the wrapped namespace's own (bound, so private fields work).
      return new Proxy(namespace, {
        get(target, property) {
          if (property === 'repository') return repository;
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    update,
    watchFile(path: string, watchOptions: { intervalMs?: number } = {}): PushThroughWatcher {
      let last: string | undefined;
      let running: Promise<void> = Promise.resolve();
      const initial = options.upstream;
      const check = async () => {
        let text: string | undefined;
        try {
          text = await readFile(path, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (text === last) return;
        last = text;
        if (text === undefined) {
          logger.info('push-through file removed; back to the configured settings', { path });
          update(initial);
          return;
        }
        update(parsePushThroughConfig(JSON.parse(text), options.env ?? process.env));
      };
      const poll = () => {
        running = running.then(check).catch((error: unknown) => {
          logger.warn('push-through file ignored', {
            path,
            error: String(error instanceof Error ? error.message : error),
          });
        });
        return running;
      };
      const timer = setInterval(() => void poll(), watchOptions.intervalMs ?? 2000);
      timer.unref();
      void poll();
      const stop = () => clearInterval(timer);
      return { poll, stop, [Symbol.dispose]: stop };
    },
    current: () => ({ enabled: session !== undefined, ...(session ? { url: session.url } : {}) }),
  };
}

/**
 * Validates a push-through document. `push-through.json` is written by hand, so its `$VAR`
 * references are expanded from `env`; the internal endpoint's body comes from the daemon with
 * values already resolved from the user's config, where `$` is literal: pass `env = null`.
 */
export function parsePushThroughConfig(
  value: unknown,
  env: Environment | null = {},
): PushThroughConfig | undefined {
  if (value === null) return undefined;
  const { value: expanded, unset } = env === null ? { value, unset: [] } : expandEnvironment(value, env);
  if (unset.length > 0) throw new Error(`unset variables: ${unset.map((item) => item.variable).join(', ')}`);
  if (typeof expanded !== 'object' || expanded === null || Array.isArray(expanded)) {
    throw new Error(
      'expected an object with "url" (and optionally "enabled", "username", "password", "insecure")',
    );
  }
  const record = expanded as Record<string, unknown>;
  const known = ['enabled', 'url', 'username', 'password', 'insecure'];
  const unknown = Object.keys(record).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new Error(`unknown keys: ${unknown.join(', ')}`);
  if (typeof record.url !== 'string' || !/^https?:\/\/[^/]/.test(record.url)) {
    throw new Error('"url" must be an http:// or https:// URL');
  }
  for (const key of ['username', 'password'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string')
      throw new Error(`"${key}" must be a string`);
  }
  for (const key of ['enabled', 'insecure'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'boolean')
      throw new Error(`"${key}" must be true or false`);
  }
  return record as unknown as PushThroughConfig;
}

/** Mirrors one repository's content to the session current when a push starts. */
class Mirror {
  constructor(
    readonly local: Repository,
    private readonly currentSession: () => Session | undefined,
    private readonly logger: Logger,
  ) {}

  #session: { value: Session | undefined } | undefined;

  /**
   * The session for this handle's push (a manifest PUT and its tags), fixed when it starts so that
   * a settings swap never cuts a push in flight.
   */
  begin(): Session | undefined {
    this.#session ??= { value: this.currentSession() };
    return this.#session.value;
  }

  async manifest(
    session: Session,
    content: Uint8Array,
    mediaType: string,
    digest: Digest,
    seen = new Set<string>(),
  ) {
    if (seen.has(String(digest))) return;
    seen.add(String(digest));
    for (const child of childManifests(content)) {
      const stored = await this.local.manifests.get(parseDigest(child.digest));
      await this.manifest(
        session,
        stored.content,
        stored.descriptor.mediaType,
        stored.descriptor.digest,
        seen,
      );
    }
    for (const blob of manifestBlobs(content)) await this.blob(session, blob.digest);
    await this.step(session, `pushing manifest ${String(digest)}`, () =>
      session.client.pushManifest(this.local.name, String(digest), content, mediaType),
    );
  }

  async blob(session: Session, digest: string): Promise<void> {
    const present = await this.step(session, `checking blob ${digest}`, () =>
      session.client.headBlob(this.local.name, digest, { actions: ['pull', 'push'] }),
    );
    if (present) return;
    const parsed = parseDigest(digest);
    const descriptor = await this.local.blobs.stat(parsed);
    await this.step(session, `uploading blob ${digest} (${descriptor.size} bytes)`, () =>
      session.client.pushBlob(this.local.name, digest, () => this.local.blobs.open(parsed), descriptor.size),
    );
  }

  async tag(session: Session, tag: string, descriptor: Descriptor): Promise<void> {
    const stored = await this.local.manifests.get(descriptor.digest);
    await this.step(session, `tagging ${tag}`, () =>
      session.client.pushManifest(this.local.name, tag, stored.content, stored.descriptor.mediaType),
    );
  }

  async step<T>(session: Session, step: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn('push-through failed', {
        upstream: session.url,
        repo: this.local.name,
        step,
        error: message,
      });
      throw new UpstreamError(
        `push-through to ${session.url} failed while ${step} of ${this.local.name}: ${message} (the push is stored here; retry it to mirror it)`,
        502,
        { cause: error },
      );
    }
  }
}

class PushThroughManifestStore implements ManifestStore {
  constructor(
    private readonly inner: ManifestStore,
    private readonly mirror: Mirror,
  ) {}

  exists(digest: Digest): Promise<boolean> {
    return this.inner.exists(digest);
  }

  get(digest: Digest): Promise<StoredManifest> {
    return this.inner.get(digest);
  }

  async put(
    content: Uint8Array,
    mediaType: string,
    options?: { digestAlgorithm?: DigestAlgorithm; tags?: readonly string[] },
  ): Promise<ManifestPutResult> {
    const session = this.mirror.begin();
    if (!session) return this.inner.put(content, mediaType, options);
    // The content is stored first, untagged: the mirror streams it from local storage. The tags
    // move only once the upstream has the manifest and its tags, so a push the client sees fail
    // moves no tag here (the inner store applies tags inside its put, under the manifest's lock).
    const tags = options?.tags ?? [];
    const stored = await this.inner.put(content, mediaType, { ...options, tags: [] });
    await this.mirror.manifest(session, content, mediaType, stored.descriptor.digest);
    for (const tag of tags) await this.mirror.tag(session, tag, stored.descriptor);
    return tags.length > 0 ? this.inner.put(content, mediaType, options) : stored;
  }

  delete(digest: Digest): Promise<void> {
    return this.inner.delete(digest);
  }
}

class PushThroughTagStore implements TagStore {
  constructor(
    private readonly inner: TagStore,
    private readonly mirror: Mirror,
  ) {}

  resolve(tag: string): Promise<Descriptor> {
    return this.inner.resolve(tag);
  }

  async tag(tag: string, descriptor: Descriptor): Promise<void> {
    const session = this.mirror.begin();
    await this.inner.tag(tag, descriptor);
    if (session) await this.mirror.tag(session, tag, descriptor);
  }

  untag(tag: string): Promise<void> {
    return this.inner.untag(tag);
  }

  list(options?: { last?: string; n?: number }): Promise<{ tags: string[]; more: boolean }> {
    return this.inner.list(options);
  }

  lookup(digest: Digest): Promise<string[]> {
    return this.inner.lookup(digest);
  }
}
