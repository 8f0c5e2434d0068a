/**
 * The `rel="next"` URL of GitLab's `Link` header (RFC 8288), used by both offset and keyset
 * pagination. A next page on another origin is ignored: the token would go with the request.
 */
export function nextPageUrl(link: string | string[] | undefined, instanceUrl: string): string | undefined {
  const text = Array.isArray(link) ? link.join(', ') : link;
  if (!text) return undefined;
  for (const part of text.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (!match) continue;
    const rels = /\brel\s*=\s*"?([^";]+)"?/i.exec(match[2]!)?.[1]?.split(/\s+/) ?? [];
    if (!rels.includes('next')) continue;
    let next: URL;
    try {
      next = new URL(match[1]!, instanceUrl);
    } catch {
      return undefined;
    }
    return next.origin === new URL(instanceUrl).origin ? next.toString() : undefined;
  }
  return undefined;
}
