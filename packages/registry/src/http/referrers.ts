import { parseDigest } from '../digest.js';
import { type RequestContext, sendJson } from './context.js';
import { nextLink, parsePage } from './pagination.js';

const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/**
 * `GET /v2/<name>/referrers/<digest>[?artifactType=][&n=&last=]`: an OCI index of the manifests
 * whose `subject` is `<digest>`; never 404 (no referrers → empty list). Filtering by artifactType is
 * answered with `OCI-Filters-Applied: artifactType`. Pages are ordered by digest; `last` is the
 * last digest of the previous page.
 */
export async function listReferrers(ctx: RequestContext): Promise<void> {
  const subject = parseDigest(ctx.reference);
  const query = ctx.rawQuery ? ctx.query : undefined;
  const artifactType = query?.get('artifactType') || undefined;
  const page = parsePage(query, ctx.deps.settings.pageSize);
  const repository = await ctx.repository();
  const all = await repository.referrers.list(subject, artifactType ? { artifactType } : {});
  const sorted = [...all].sort((a, b) => compare(String(a.digest), String(b.digest)));
  const start = page.last ? sorted.findIndex((d) => String(d.digest) > (page.last as string)) : 0;
  const from = start < 0 ? sorted.length : start;
  const manifests = sorted.slice(from, from + page.limit).map((d) => ({ ...d, digest: String(d.digest) }));
  const headers: Record<string, string> = {};
  if (artifactType) headers['OCI-Filters-Applied'] = 'artifactType';
  const last = manifests.at(-1);
  if (last && from + page.limit < sorted.length) {
    const base = `/v2/${ctx.name}/referrers/${ctx.reference}`;
    const link = nextLink(base, page.limit, last.digest);
    headers.Link = artifactType
      ? link.replace('>;', `&artifactType=${encodeURIComponent(artifactType)}>;`)
      : link;
  }
  sendJson(ctx, 200, { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests }, headers, INDEX_MEDIA_TYPE);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
