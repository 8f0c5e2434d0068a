/**
 * Digests a manifest references and needs: an index's or list's child manifests, an image's config
 * and layers, an artifact's blobs. `subject` is left out: a referrer does not keep its subject alive.
 */
export function manifestReferences(content: Uint8Array): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(content).toString('utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const manifest = parsed as {
    config?: { digest?: unknown };
    layers?: { digest?: unknown }[];
    manifests?: { digest?: unknown }[];
    blobs?: { digest?: unknown }[];
  };
  const found: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && !found.includes(value)) found.push(value);
  };
  add(manifest.config?.digest);
  for (const list of [manifest.layers, manifest.manifests, manifest.blobs]) {
    if (Array.isArray(list)) for (const item of list) add(item?.digest);
  }
  return found;
}

/** Child manifests of an index or manifest list, in order (empty for an image manifest). */
export function childManifests(content: Uint8Array): { digest: string; mediaType: string }[] {
  try {
    const parsed = JSON.parse(Buffer.from(content).toString('utf8')) as {
      manifests?: { digest?: unknown; mediaType?: unknown }[];
    };
    if (!Array.isArray(parsed.manifests)) return [];
    return parsed.manifests
      .filter((item) => typeof item?.digest === 'string')
      .map((item) => ({ digest: String(item.digest), mediaType: String(item.mediaType ?? '') }));
  } catch {
    return [];
  }
}

/** Blobs (config and layers, or artifact blobs) of an image or artifact manifest. */
export function manifestBlobs(content: Uint8Array): { digest: string; size: number }[] {
  try {
    const parsed = JSON.parse(Buffer.from(content).toString('utf8')) as {
      config?: { digest?: unknown; size?: unknown };
      layers?: { digest?: unknown; size?: unknown }[];
      blobs?: { digest?: unknown; size?: unknown }[];
    };
    const items = [parsed.config, ...(parsed.layers ?? []), ...(parsed.blobs ?? [])];
    const seen = new Set<string>();
    const result: { digest: string; size: number }[] = [];
    for (const item of items) {
      if (!item || typeof item.digest !== 'string' || seen.has(item.digest)) continue;
      seen.add(item.digest);
      result.push({ digest: item.digest, size: Number(item.size ?? 0) });
    }
    return result;
  } catch {
    return [];
  }
}
