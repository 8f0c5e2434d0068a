import { createHash } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export function sha256Digest(content: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

export interface TinyImage {
  /** The exact manifest bytes pushed. */
  readonly manifest: string;
  readonly manifestDigest: string;
  readonly config: string;
  readonly layer: string;
}

/**
 * Pushes a one-layer OCI image over the distribution API with monolithic `POST ?digest=` uploads,
 * then its manifest under `tag`, failing loudly on any answer but 201. For tests that need some
 * real content in a registry without going through a client.
 */
export async function pushTinyImage(
  registryUrl: string,
  repository: string,
  tag: string,
  options: { layer?: string; config?: string } = {},
): Promise<TinyImage> {
  const config = options.config ?? '{"architecture":"amd64","os":"linux"}';
  const layer = options.layer ?? `layer of ${repository}:${tag}`;
  for (const content of [config, layer]) {
    const response = await fetch(
      `${registryUrl}/v2/${repository}/blobs/uploads/?digest=${sha256Digest(content)}`,
      {
        method: 'POST',
        body: content,
      },
    );
    if (response.status !== 201) throw new Error(`blob upload to ${repository} answered ${response.status}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256Digest(config),
      size: Buffer.byteLength(config),
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256Digest(layer),
        size: Buffer.byteLength(layer),
      },
    ],
  });
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': OCI_MANIFEST },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest PUT to ${repository}:${tag} answered ${put.status}`);
  return { manifest, manifestDigest: sha256Digest(manifest), config, layer };
}
