import { createLogger } from '@glci/config';
import { run } from '@glci/testkit';
import { systemClock } from '../clock.js';
import { HttpUpstreamClient } from '../http-upstream-client.js';

/** Copies a locally built image into a registry with skopeo (docker-daemon → docker://). */
export async function preloadImage(
  host: string,
  image: string,
  reference: string,
  credentials?: { username: string; password: string },
): Promise<void> {
  await run(
    'skopeo',
    [
      'copy',
      '--dest-tls-verify=false',
      ...(credentials ? ['--dest-creds', `${credentials.username}:${credentials.password}`] : []),
      `docker-daemon:${image}`,
      `docker://${host}/${reference}`,
    ],
    { timeoutMs: 180_000 },
  );
}

/**
 * Pushes a multi-arch manifest list made of images already in `repository` (one per platform),
 * the way `docker manifest push` builds one, and returns its digest.
 */
export async function pushManifestList(
  url: string,
  repository: string,
  tag: string,
  platforms: { tag: string; architecture: string }[],
  credentials?: { username: string; password: string },
): Promise<string> {
  const client = new HttpUpstreamClient({
    url,
    ...(credentials ?? {}),
    logger: createLogger({ silent: true }),
    clock: systemClock,
  });
  const manifests = [];
  for (const platform of platforms) {
    const child = await client.getManifest(repository, platform.tag, { actions: ['pull', 'push'] });
    if (!child) throw new Error(`${repository}:${platform.tag} is not in ${url}`);
    manifests.push({
      mediaType: child.descriptor.mediaType,
      digest: String(child.descriptor.digest),
      size: child.descriptor.size,
      platform: { architecture: platform.architecture, os: 'linux' },
    });
  }
  const mediaType = 'application/vnd.docker.distribution.manifest.list.v2+json';
  const list = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType, manifests }, null, 3));
  await client.pushManifest(repository, tag, list, mediaType);
  const pushed = await client.headManifest(repository, tag);
  return String(pushed!.digest);
}

/** The digest skopeo reports for an image reference (the manifest as stored, list or image). */
export async function skopeoDigest(reference: string, extra: string[] = []): Promise<string> {
  const output = await run('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...extra,
    `docker://${reference}`,
  ]);
  const { createHash } = await import('node:crypto');
  return `sha256:${createHash('sha256').update(output).digest('hex')}`;
}
