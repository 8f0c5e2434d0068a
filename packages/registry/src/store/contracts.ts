import type { Readable } from 'node:stream';
import type { Digest, DigestAlgorithm } from '../digest.js';

/**
 * The content-aware stores the HTTP layer (and decorators such as @glci/proxy) work with. They sit
 * on a `StorageDriver` and own the layout; they never speak HTTP. Capability interfaces are small
 * so that a consumer can depend on the narrowest one (a handler that only stats takes
 * `BlobStatter`). All methods reject with the typed errors of `../errors.ts`.
 */

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly offset: number;
  /** Number of bytes. */
  readonly length: number;
}

// ---- blobs -------------------------------------------------------------------------------------

export interface BlobStatter {
  /**
   * The blob's descriptor (media type `application/octet-stream` unless known); BlobUnknownError if
   * absent. `refresh`: the caller is about to rely on the blob without uploading it (a HEAD before a
   * push), so the store keeps it from GC for another grace period (and answers unknown when GC
   * already took it).
   */
  stat(digest: Digest, options?: { refresh?: boolean }): Promise<Descriptor>;
}

export interface BlobReader {
  /** A stream of the blob or of one range of it. */
  open(digest: Digest, options?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /** The whole blob in memory: for small blobs only (configs, manifests). */
  get(digest: Digest): Promise<Uint8Array>;
  /** A URL the client may be redirected to instead of streaming, when the driver offers one. */
  redirectUrl?(digest: Digest, options: { method: 'GET' | 'HEAD' }): Promise<string | undefined>;
}

export interface BlobIngester {
  /** Stores a small blob given whole; verifies nothing beyond computing its digest. */
  put(mediaType: string, content: Uint8Array): Promise<Descriptor>;
  /**
   * Starts an upload session. With `mount`, first tries to link an existing blob instead: from the
   * repository `from` when given (only if linked there; the caller checks the client may pull it),
   * else only if this repository links it already (never from elsewhere). A successful mount
   * returns a `MountedBlob` (`mounted: true`); when the blob cannot be mounted a normal session
   * starts and a `BlobWriter` is returned (`mounted` not true), as the spec's 202.
   * `digestAlgorithm` (default sha256) is the algorithm hashed while receiving; committing with
   * another algorithm still works, by re-reading the upload.
   */
  createUpload(options?: {
    mount?: { digest: Digest; from?: string };
    digestAlgorithm?: DigestAlgorithm;
  }): Promise<BlobWriter | MountedBlob>;
  /** Resumes a session by id, in this process or after a restart; BlobUploadUnknownError if none. */
  resumeUpload(id: string): Promise<BlobWriter>;
  /**
   * Present when the storage is a local filesystem: takes in a whole blob file by rename instead of
   * a second write. For in-process callers that wrote and verified the bytes themselves.
   */
  readonly localFiles?: LocalBlobIngester;
}

/** See `BlobIngester.localFiles`. */
export interface LocalBlobIngester {
  /** A fresh path on the store's filesystem to write a blob file at (the caller deletes it if unused). */
  stagingPath(): Promise<string>;
  /**
   * Publishes `file` (a `stagingPath` the caller wrote) as the blob `descriptor` and links it into
   * the repository. The store checks the size, not the digest: the caller has hashed the bytes. The
   * file is moved; handles open on it stay valid.
   */
  adopt(file: string, descriptor: Descriptor): Promise<Descriptor>;
}

export interface MountedBlob {
  readonly mounted: true;
  readonly descriptor: Descriptor;
}

export interface BlobDeleter {
  /** Unlinks the blob from this repository (the global copy is reclaimed by GC). */
  delete(digest: Digest): Promise<void>;
}

export interface BlobStore extends BlobStatter, BlobReader, BlobIngester, BlobDeleter {}

/** One upload session. Writes are appended in order; `commit` verifies the digest and publishes. */
export interface BlobWriter {
  readonly mounted?: false;
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
  readonly startedAt: Date;
  /** Appends a stream at `size`; rejects with UploadRangeError if `expectedOffset` is not `size`. */
  write(
    source: Readable | Uint8Array,
    options?: { expectedOffset?: number; signal?: AbortSignal },
  ): Promise<number>;
  /** Persists progress so another request (or node) can resume; the session stays open. */
  close(): Promise<void>;
  /**
   * Verifies the received bytes against `expected` (DigestMismatchError otherwise, and the session
   * is discarded), stores the blob once globally, links it into the repository.
   */
  commit(expected: Digest, options?: { mediaType?: string }): Promise<Descriptor>;
  cancel(): Promise<void>;
}

// ---- manifests, tags, referrers -----------------------------------------------------------------

export interface StoredManifest {
  readonly descriptor: Descriptor;
  /** The exact bytes that were pushed. */
  readonly content: Uint8Array;
}

export interface ManifestPutResult {
  readonly descriptor: Descriptor;
  /** The `subject` digest when the manifest declares one (answered as `OCI-Subject`). */
  readonly subject?: Digest;
}

export interface ManifestStore {
  exists(digest: Digest): Promise<boolean>;
  get(digest: Digest): Promise<StoredManifest>;
  /**
   * Validates (JSON, media type, size limit, referenced blobs and child manifests present except
   * `subject`) and stores the exact bytes; indexes referrers; points `tags` at it. Throws
   * ManifestInvalidError, ManifestBlobUnknownError, ManifestTooLargeError, TagInvalidError.
   * `digestAlgorithm` (default sha256) names the digest it is stored under: pass the algorithm of a
   * PUT by digest (`sha512:...`). When it resolves, the manifest, its tags and everything it
   * references exist, whatever deletes and GC ran meanwhile.
   */
  put(
    content: Uint8Array,
    mediaType: string,
    options?: { digestAlgorithm?: DigestAlgorithm; tags?: readonly string[] },
  ): Promise<ManifestPutResult>;
  /** Removes the manifest and every tag pointing at it. */
  delete(digest: Digest): Promise<void>;
}

export interface TagStore {
  /** The descriptor the tag points at; ManifestUnknownError if the tag does not exist. */
  resolve(tag: string): Promise<Descriptor>;
  tag(tag: string, descriptor: Descriptor): Promise<void>;
  untag(tag: string): Promise<void>;
  /** Tags in lexical order, strictly after `last`, at most `n`. */
  list(options?: { last?: string; n?: number }): Promise<{ tags: string[]; more: boolean }>;
  /** Every tag pointing at `digest`. */
  lookup(digest: Digest): Promise<string[]>;
}

export interface ReferrersStore {
  /** Descriptors of manifests in this repository whose `subject` is `subject`, optionally filtered. */
  list(subject: Digest, options?: { artifactType?: string }): Promise<Descriptor[]>;
}

export interface Repository {
  readonly name: string;
  readonly blobs: BlobStore;
  readonly manifests: ManifestStore;
  readonly tags: TagStore;
  readonly referrers: ReferrersStore;
}

/** The registry's repositories: the entry point the HTTP layer receives. */
export interface Namespace {
  /** A handle on a repository (it need not exist yet; pushes create it). Validates the name. */
  repository(name: string): Promise<Repository>;
  /** Whether any content was ever pushed or cached under `name`. */
  hasRepository(name: string): Promise<boolean>;
  /** Repository names in lexical order, strictly after `last`, at most `n`. */
  catalog(options?: { last?: string; n?: number }): Promise<{ repositories: string[]; more: boolean }>;
  /** Whether a blob exists anywhere in the registry (GC, stats, the pull-through cache). */
  blobExists(digest: Digest): Promise<boolean>;
}
