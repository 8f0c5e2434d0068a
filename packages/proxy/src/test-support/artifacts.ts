import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createLogger } from '@glci/config';
import { parseDigest } from '@glci/registry';
import { systemClock } from '../clock.js';
import { HttpUpstreamClient } from '../http-upstream-client.js';
import { INDEX_MEDIA_TYPE, referrersTag } from '../referrers-index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const EMPTY_JSON = 'application/vnd.oci.empty.v1+json';
export const SBOM_TYPE = 'application/vnd.example.sbom.v1+json';
export const SIGNATURE_TYPE = 'application/vnd.example.signature.v1+json';

export interface PushedManifest {
  readonly digest: string;
  readonly size: number;
  readonly content: string;
}

export interface SignedImage {
  readonly image: PushedManifest;
  readonly sbom: PushedManifest;
  readonly signature: PushedManifest;
  /** The descriptors listed under the referrers tag, when one was pushed. */
  readonly tagged?: readonly Record<string, unknown>[];
}

const digestOf = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/**
 * Pushes a one-layer image under `tag` and two artifact manifests whose `subject` is that image (an
 * SBOM and a signature, each with its `artifactType` and annotations), over the distribution API
 * with POST + PUT uploads, which distribution 2.8.2 and glci both take. With `referrersTag`, also
 * maintains the referrers tag the way oras and crane do against a registry without the referrers
 * API: an index of both artifacts under `sha256-<hex>`, whose descriptors carry one annotation more
 * than the manifests (`org.example.listed-by`), so a test can tell which copy it was served.
 */
export async function pushSignedImage(
  url: string,
  repository: string,
  tag: string,
  options: { referrersTag: boolean; layer?: string },
): Promise<SignedImage> {
  const client = clientFor(url);
  const image = await pushImage(url, repository, tag, options.layer ? { layer: options.layer } : {});
  await pushBlobOf(client, repository, '{}');
  const manifest = async (content: string): Promise<PushedManifest> => {
    await client.pushManifest(repository, digestOf(content), Buffer.from(content), OCI_MANIFEST);
    return { digest: digestOf(content), size: Buffer.byteLength(content), content };
  };
  const artifact = (artifactType: string, kind: string) =>
    manifest(artifactManifest(image, artifactType, kind).content);
  const sbom = await artifact(SBOM_TYPE, 'sbom');
  const signature = await artifact(SIGNATURE_TYPE, 'signature');
  if (!options.referrersTag) return { image, sbom, signature };
  const tagged = [
    [sbom, SBOM_TYPE, 'sbom'],
    [signature, SIGNATURE_TYPE, 'signature'],
  ].map(([pushed, artifactType, kind]) => ({
    mediaType: OCI_MANIFEST,
    digest: (pushed as PushedManifest).digest,
    size: (pushed as PushedManifest).size,
    artifactType,
    annotations: { 'org.example.kind': kind, 'org.example.listed-by': 'referrers-tag' },
  }));
  const index = JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: tagged });
  await client.pushManifest(
    repository,
    referrersTag(parseDigest(image.digest)),
    Buffer.from(index),
    INDEX_MEDIA_TYPE,
  );
  return { image, sbom, signature, tagged };
}

function clientFor(url: string): HttpUpstreamClient {
  return new HttpUpstreamClient({ url, logger: createLogger({ silent: true }), clock: systemClock });
}

async function pushBlobOf(client: HttpUpstreamClient, repository: string, content: string) {
  const bytes = Buffer.from(content);
  await client.pushBlob(repository, digestOf(content), async () => Readable.from([bytes]), bytes.length);
  return { digest: digestOf(content), size: bytes.length };
}

/**
 * Pushes a one-layer OCI image (config and layer unique to `repository` and `reference` unless
 * given) under `reference` with POST + PUT uploads (distribution 2.8.2 and glci both take them).
 */
export async function pushImage(
  url: string,
  repository: string,
  reference: string,
  options: { layer?: string; architecture?: string } = {},
): Promise<PushedManifest> {
  const client = clientFor(url);
  const architecture = options.architecture ?? 'amd64';
  const config = await pushBlobOf(
    client,
    repository,
    `{"architecture":"${architecture}","os":"linux","repository":"${repository}"}`,
  );
  const layer = await pushBlobOf(client, repository, options.layer ?? `layer of ${repository}:${reference}`);
  const content = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  await client.pushManifest(repository, reference, Buffer.from(content), OCI_MANIFEST);
  return { digest: digestOf(content), size: Buffer.byteLength(content), content };
}

/** Pushes an OCI index of images already in `repository` (one per architecture) under `tag`. */
export async function pushIndex(
  url: string,
  repository: string,
  tag: string,
  children: readonly { manifest: PushedManifest; architecture: string }[],
): Promise<PushedManifest> {
  const content = JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX_MEDIA_TYPE,
    manifests: children.map(({ manifest, architecture }) => ({
      mediaType: OCI_MANIFEST,
      digest: manifest.digest,
      size: manifest.size,
      platform: { architecture, os: 'linux' },
    })),
  });
  await clientFor(url).pushManifest(repository, tag, Buffer.from(content), INDEX_MEDIA_TYPE);
  return { digest: digestOf(content), size: Buffer.byteLength(content), content };
}

/**
 * Pushes one of `pushSignedImage`'s artifact manifests (its only blob is `{}`) to a glci registry,
 * which takes monolithic uploads.
 */
export async function pushArtifact(url: string, repository: string, manifest: PushedManifest): Promise<void> {
  const upload = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digestOf('{}')}`, {
    method: 'POST',
    body: '{}',
  });
  if (upload.status !== 201) throw new Error(`upload of {} to ${repository}: ${upload.status}`);
  const response = await fetch(`${url}/v2/${repository}/manifests/${manifest.digest}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST },
    body: manifest.content,
  });
  if (response.status !== 201) throw new Error(`PUT ${repository}@${manifest.digest}: ${response.status}`);
}

/** An artifact manifest (blob `{}`) with `subject`, built the way `pushSignedImage` builds them. */
export function artifactManifest(
  subject: PushedManifest,
  artifactType: string,
  kind: string,
): PushedManifest {
  const empty = { digest: digestOf('{}'), size: 2 };
  const content = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: EMPTY_JSON, ...empty },
    layers: [{ mediaType: EMPTY_JSON, ...empty }],
    subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
    annotations: { 'org.example.kind': kind },
  });
  return { digest: digestOf(content), size: Buffer.byteLength(content), content };
}
