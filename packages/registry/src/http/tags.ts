import { NameUnknownError } from '../errors.js';
import { type RequestContext, sendJson } from './context.js';
import { nextLink, parsePage } from './pagination.js';

/** `GET /v2/<name>/tags/list[?n=&last=]`: lexical order, `Link: <...>; rel="next"` when more remain. */
export async function listTags(ctx: RequestContext): Promise<void> {
  const page = parsePage(ctx.rawQuery ? ctx.query : undefined, ctx.deps.settings.pageSize);
  const repository = await ctx.repository();
  if (page.limit === 0) {
    if (!(await ctx.deps.namespace.hasRepository(ctx.name))) throw new NameUnknownError(ctx.name);
    sendJson(ctx, 200, { name: ctx.name, tags: [] });
    return;
  }
  const { tags, more } = await repository.tags.list({
    n: page.limit,
    ...(page.last ? { last: page.last } : {}),
  });
  if (tags.length === 0 && !page.last && !(await ctx.deps.namespace.hasRepository(ctx.name))) {
    throw new NameUnknownError(ctx.name);
  }
  const last = tags.at(-1);
  const headers: Record<string, string> =
    more && last ? { Link: nextLink(`/v2/${ctx.name}/tags/list`, page.limit, last) } : {};
  sendJson(ctx, 200, { name: ctx.name, tags }, headers);
}
