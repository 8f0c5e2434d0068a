import { type RequestContext, sendJson } from './context.js';
import { nextLink, parsePage } from './pagination.js';

/** `GET /v2/_catalog[?n=&last=]`: repository names in lexical order, paginated like tags. */
export async function listCatalog(ctx: RequestContext): Promise<void> {
  const page = parsePage(ctx.rawQuery ? ctx.query : undefined, ctx.deps.settings.pageSize);
  if (page.limit === 0) {
    sendJson(ctx, 200, { repositories: [] });
    return;
  }
  const { repositories, more } = await ctx.deps.namespace.catalog({
    n: page.limit,
    ...(page.last ? { last: page.last } : {}),
  });
  const last = repositories.at(-1);
  const headers: Record<string, string> =
    more && last ? { Link: nextLink('/v2/_catalog', page.limit, last) } : {};
  sendJson(ctx, 200, { repositories }, headers);
}
