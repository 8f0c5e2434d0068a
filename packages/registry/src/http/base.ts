import type { RequestContext } from './context.js';

/** `GET /v2/`: the API version check (and, through the auth hook, where clients meet the challenge). */
export async function getBase(ctx: RequestContext): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2 });
  ctx.res.end(ctx.isHead ? undefined : '{}');
  ctx.bytesOut += ctx.isHead ? 0 : 2;
}
