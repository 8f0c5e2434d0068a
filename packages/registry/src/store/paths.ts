import type { Digest } from '../digest.js';

/**
 * The registry's persisted layout: every path the stores read or write, as `StorageDriver` paths.
 *
 * ```
 * /v1/
 * ├── blobs/                                       global content, stored once for all repositories
 * │   └── <algorithm>/<first 2 hex>/<hex>/data     the exact bytes (layers, configs, manifests)
 * ├── gc-trash/<algorithm>/<hex>/data              a blob GC is about to delete (see gc.ts)
 * └── repositories/
 *     └── <name>/                                  one directory per name component: library/alpine
 *         ├── _layers/<algorithm>/<hex>/link       blob linked into the repository: {"digest","size"}
 *         ├── _manifests/
 *         │   ├── revisions/<algorithm>/<hex>/link manifest in the repository: its descriptor
 *         │   │                                    (mediaType, digest, size, artifactType, subject)
 *         │   └── tags/<tag>/link                  the tag's current manifest descriptor
 *         ├── _referrers/<algorithm>/<subject hex>/<algorithm>/<hex>/link
 *         │                                        a manifest whose `subject` is <subject>: its
 *         │                                        referrer descriptor (artifactType, annotations)
 *         └── _uploads/<id>/
 *             ├── state.json                       session: started, updated, size, hash state
 *             ├── lease-<generation>               who may write the session now (upload-lease.ts)
 *             └── data                             the bytes received (a pending driver writer
 *                                                  until commit, then moved into blobs/)
 * ```
 *
 * Name components start with `[a-z0-9]`, so the `_`-prefixed entries can never clash with a
 * nested repository (`library/_layers` is not a valid name). Link files are small JSON documents
 * written with `putContent` (atomic). Every write publishes content under blobs/ before anything
 * that refers to it (data → link → tag), so a crash leaves at worst unreferenced content, which
 * GC reclaims, and never a link to nothing.
 */
export const LAYOUT_ROOT = '/v1';
export const BLOBS_ROOT = `${LAYOUT_ROOT}/blobs`;
export const TRASH_ROOT = `${LAYOUT_ROOT}/gc-trash`;
export const REPOSITORIES_ROOT = `${LAYOUT_ROOT}/repositories`;

/** Entries of a repository directory that are not nested repositories. */
export const REPOSITORY_MARKERS = ['_layers', '_manifests', '_referrers', '_uploads'] as const;

export function blobDataPath(digest: Digest): string {
  return `${BLOBS_ROOT}/${digest.algorithm}/${digest.hex.slice(0, 2)}/${digest.hex}/data`;
}

export function blobDirectoryPath(digest: Digest): string {
  return `${BLOBS_ROOT}/${digest.algorithm}/${digest.hex.slice(0, 2)}/${digest.hex}`;
}

export function trashDataPath(digest: Digest): string {
  return `${TRASH_ROOT}/${digest.algorithm}/${digest.hex}/data`;
}

export function repositoryPath(name: string): string {
  return `${REPOSITORIES_ROOT}/${name}`;
}

export function layersPath(name: string): string {
  return `${repositoryPath(name)}/_layers`;
}

export function layerLinkPath(name: string, digest: Digest): string {
  return `${layersPath(name)}/${digest.algorithm}/${digest.hex}/link`;
}

export function revisionsPath(name: string): string {
  return `${repositoryPath(name)}/_manifests/revisions`;
}

export function revisionLinkPath(name: string, digest: Digest): string {
  return `${revisionsPath(name)}/${digest.algorithm}/${digest.hex}/link`;
}

export function tagsPath(name: string): string {
  return `${repositoryPath(name)}/_manifests/tags`;
}

export function tagPath(name: string, tag: string): string {
  return `${tagsPath(name)}/${tag}`;
}

export function tagLinkPath(name: string, tag: string): string {
  return `${tagPath(name, tag)}/link`;
}

export function referrersPath(name: string, subject: Digest): string {
  return `${repositoryPath(name)}/_referrers/${subject.algorithm}/${subject.hex}`;
}

export function referrerLinkPath(name: string, subject: Digest, referrer: Digest): string {
  return `${referrersPath(name, subject)}/${referrer.algorithm}/${referrer.hex}/link`;
}

export function uploadsPath(name: string): string {
  return `${repositoryPath(name)}/_uploads`;
}

export function uploadPath(name: string, id: string): string {
  return `${uploadsPath(name)}/${id}`;
}

export function uploadStatePath(name: string, id: string): string {
  return `${uploadPath(name, id)}/state.json`;
}

export function uploadDataPath(name: string, id: string): string {
  return `${uploadPath(name, id)}/data`;
}

/** `lease-` and ten digits, so that the byte order of the names is the order of generations. */
export const LEASE_FILE = /^lease-([0-9]{10})$/;

export function uploadLeasePath(name: string, id: string, generation: number): string {
  return `${uploadPath(name, id)}/lease-${String(generation).padStart(10, '0')}`;
}

/** The last segment of a driver path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
