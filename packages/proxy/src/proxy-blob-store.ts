import os from 'node:os';
import type { Readable } from 'node:stream';
import {
  type BlobStore,
  BlobUnknownError,
  type BlobWriter,
  type ByteRange,
  type Descriptor,
  type Digest,
  type MountedBlob,
  type Repository,
} from '@glci/registry';
import { ProxyBlobUnknownError, upstreamFailure } from './errors.js';
import type { ProxyContext, RequestScope } from './proxy-context.js';
import { type DownloadDestination, SharedDownload } from './shared-download.js';
import { UpstreamRequestError } from './upstream-client.js';

const DEFAULT_WRITE_TIMEOUT_MS = 30 * 60_000;

/**
 * Blobs: the local store first; on a miss one upstream download per digest, shared by every client
 * (including those arriving half-way), streamed to them while it is written to the store and
 * verified before commit. A blob the registry already holds in another repository is mounted, not
 * downloaded. `stat` on a miss starts the download (its GET answers the size), so a HEAD fills the
 * cache and a HEAD + GET costs one upstream request. Uploads, mounts and deletes are local.
 */
export class ProxyBlobStore implements BlobStore {
  constructor(
    private readonly context: ProxyContext,
    private readonly scope: RequestScope,
    private readonly local: Repository,
  ) {}

  async stat(digest: Digest, options?: { refresh?: boolean }): Promise<Descriptor> {
    try {
      const descriptor = await this.local.blobs.stat(digest, options);
      this.context.index.touch(String(digest), this.context.now());
      return descriptor;
    } catch (error) {
      if (!(error instanceof BlobUnknownError)) throw error;
    }
    this.#requireProxied(digest);
    if (await this.#mount(digest)) return await this.local.blobs.stat(digest);
    const download = await this.#download(digest);
    return download.descriptor;
  }

  async open(digest: Digest, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    try {
      const stream = await this.local.blobs.open(digest, options);
      this.#countCacheRead(digest, options.range?.length);
      return stream;
    } catch (error) {
      if (!(error instanceof BlobUnknownError)) throw error;
    }
    this.#requireProxied(digest);
    if (await this.#mount(digest)) return await this.local.blobs.open(digest, options);
    const joining = this.context.downloads.get(String(digest)) !== undefined;
    const download = await this.#download(digest);
    const stream = download.read(options.range?.offset, options.range?.length);
    if (!stream) return await this.local.blobs.open(digest, options);
    // Served from another request's download: no upstream request of its own, so a hit.
    if (joining) this.#countHit(download.upstream, options.range?.length ?? download.descriptor.size);
    // The client's signal ends only this reader; the download goes on for others and the cache.
    options.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
    return stream;
  }

  async get(digest: Digest): Promise<Uint8Array> {
    try {
      const content = await this.local.blobs.get(digest);
      this.#countCacheRead(digest, content.byteLength);
      return content;
    } catch (error) {
      if (!(error instanceof BlobUnknownError)) throw error;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(digest)) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }

  async redirectUrl(digest: Digest, options: { method: 'GET' | 'HEAD' }): Promise<string | undefined> {
    if (!this.local.blobs.redirectUrl) return undefined;
    try {
      await this.local.blobs.stat(digest);
    } catch (error) {
      if (error instanceof BlobUnknownError) return undefined;
      throw error;
    }
    return await this.local.blobs.redirectUrl(digest, options);
  }

  put(mediaType: string, content: Uint8Array): Promise<Descriptor> {
    return this.local.blobs.put(mediaType, content);
  }

  createUpload(options?: { mount?: { digest: Digest; from?: string } }): Promise<BlobWriter | MountedBlob> {
    return this.local.blobs.createUpload(options);
  }

  resumeUpload(id: string): Promise<BlobWriter> {
    return this.local.blobs.resumeUpload(id);
  }

  delete(digest: Digest): Promise<void> {
    return this.local.blobs.delete(digest);
  }

  #countCacheRead(digest: Digest, bytes: number | undefined): void {
    const entry = this.context.index.touch(String(digest), this.context.now());
    if (entry) this.#countHit(entry.upstream, bytes ?? entry.size);
  }

  #countHit(upstreamUrl: string, bytes: number): void {
    const upstream = this.context.upstreams.byUrl(upstreamUrl);
    if (!upstream) return;
    upstream.stats.hits += 1;
    upstream.stats.bytesFromCache += bytes;
  }

  /**
   * Blobs are fetched only for repositories whose manifest came through the proxy (clients always
   * read a manifest first). A push probing its layers with HEAD therefore costs no upstream round
   * trips (nor rate-limit quota) for repositories that only hold pushed content.
   */
  #requireProxied(digest: Digest): void {
    const { context, scope } = this;
    if (context.index.origin(scope.name) !== undefined || context.downloads.get(String(digest))) return;
    throw new ProxyBlobUnknownError(
      digest,
      scope.name,
      [],
      'no manifest of this repository was pulled through the proxy, so no upstream was asked',
    );
  }

  /**
   * Links a blob this cache fetched from an upstream for another repository into this one, instead
   * of downloading it again: only blobs the cache index says came from one of this repository's own
   * upstreams (which would serve it for this repository too), never content pushed here. Called for
   * repositories whose pulls go through the proxy (`#requireProxied` first).
   */
  async #mount(digest: Digest): Promise<boolean> {
    const entry = this.context.index.entry(String(digest));
    if (!entry || entry.kind !== 'blob') return false;
    const upstreams = this.scope.targets(this.context.index.origin(this.scope.name));
    if (!upstreams.some((target) => target.upstream.url === entry.upstream)) return false;
    const from = [...entry.repositories].find((name) => name !== this.local.name);
    if (from === undefined) return false;
    const result = await this.local.blobs.createUpload({ mount: { digest, from } });
    if (result.mounted) {
      const entry = this.context.index.entry(String(digest));
      if (entry) {
        entry.repositories.add(this.local.name);
        this.context.index.revision += 1;
      }
      return true;
    }
    await result.cancel();
    return false;
  }

  /** The shared download of `digest`: joins the running one, or starts it from the first upstream that has it. */
  async #download(digest: Digest): Promise<SharedDownload> {
    const { context, scope } = this;
    const key = String(digest);
    const running = context.downloads.get(key);
    const download = await (running ??
      context.downloads.runHeld(
        key,
        () => this.#start(digest),
        (started) => {
          const finishing = this.#finish(started);
          context.track(finishing);
          return finishing;
        },
      ));
    download.joined.add(scope.name);
    return download;
  }

  async #start(digest: Digest): Promise<SharedDownload> {
    const { context, scope } = this;
    const failures: UpstreamRequestError[] = [];
    const tried: string[] = [];
    const timeout = context.cache.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    for (const target of scope.targets(context.index.origin(scope.name))) {
      tried.push(target.upstream.url);
      // Detached from every client: the cache write has its own deadline.
      const signal = AbortSignal.timeout(timeout);
      try {
        const blob = await target.upstream.client.getBlob(target.name, String(digest), { signal });
        if (!blob) continue;
        const upstream = target.upstream;
        upstream.stats.misses += 1;
        context.logger.debug('downloading blob', {
          repo: scope.name,
          digest: String(digest),
          upstream: upstream.url,
        });
        const download = new SharedDownload({
          descriptor: blob.descriptor,
          upstream: upstream.url,
          repository: scope.name,
          // The response itself: an upstream that drops the connection fails the download at once.
          source: blob.stream,
          destination: this.#destination(),
          signal,
          logger: context.logger,
          onBytes: (bytes) => {
            upstream.stats.bytesFetched += bytes;
          },
        });
        return download;
      } catch (error) {
        if (!(error instanceof UpstreamRequestError)) throw error;
        context.recordFailure(target.upstream, error, scope.name);
        if (error.meansAbsent) tried[tried.length - 1] += ` (refused access: ${error.status ?? error.kind})`;
        else failures.push(error);
      }
    }
    if (failures.length > 0) throw upstreamFailure(failures, `blob ${String(digest)} of ${scope.name}`);
    throw new ProxyBlobUnknownError(digest, scope.name, tried);
  }

  /** A filesystem store adopts the download's file (written once); any other store gets an upload. */
  #destination(): DownloadDestination {
    const files = this.local.blobs.localFiles;
    if (files) return { files };
    const sink = this.local.blobs.createUpload().then((writer) => {
      if (writer.mounted) throw new Error('the store mounted a blob it does not hold');
      return writer;
    });
    return { sink, tempDirectory: this.context.cache.tempDirectory ?? os.tmpdir() };
  }

  /** After commit: index the blob and link it into every other repository that joined. */
  async #finish(download: SharedDownload): Promise<void> {
    const { context } = this;
    const origin = download;
    await download.committed;
    const digest = download.descriptor.digest;
    context.index.add(
      {
        kind: 'blob',
        digest: String(digest),
        size: download.descriptor.size,
        upstream: origin.upstream,
        mediaType: download.descriptor.mediaType,
        references: [],
      },
      origin.repository,
      context.now(),
    );
    for (const name of origin.joined) {
      if (name === origin.repository) continue;
      const repository = await context.local.repository(name);
      const mounted = await repository.blobs.createUpload({ mount: { digest, from: origin.repository } });
      if (!mounted.mounted) await mounted.cancel();
      else context.index.add({ ...context.index.entry(String(digest))! }, name, context.now());
    }
    for (const name of origin.joined) {
      await context.promote(await context.local.repository(name), String(digest));
    }
    context.scheduleEviction();
  }
}
