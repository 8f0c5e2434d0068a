import { createHash } from 'node:crypto';

/** `Authorization` for `gitlab-ci-token:<token>` (what `docker login -u gitlab-ci-token` sends). */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Pushes a tiny image (one config blob, one layer, an OCI manifest) over the registry API, the
 * way a client does: monolithic blob uploads, then the manifest PUT. Returns the status of the
 * first request that was not a success, or of the manifest PUT.
 */
export async function pushTinyImage(
  baseUrl: string,
  repository: string,
  tag: string,
  authorization?: string,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const layer = Buffer.from(`layer of ${repository}:${tag}`);
  for (const blob of [config, layer]) {
    const response = await fetch(`${baseUrl}/v2/${repository}/blobs/uploads/?digest=${digestOf(blob)}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    const body = await response.text();
    if (response.status !== 201) return { status: response.status, body };
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: digestOf(config),
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length },
    ],
  });
  const response = await fetch(`${baseUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  return { status: response.status, body: await response.text() };
}
