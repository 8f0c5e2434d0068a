import type { Request, Response } from 'express';
import { originOf } from './respond.js';

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

function perPageOf(req: Request): number {
  const asked = Number(req.query.per_page ?? DEFAULT_PER_PAGE);
  return Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_PER_PAGE) : DEFAULT_PER_PAGE;
}

function linkTo(req: Request, changes: Record<string, string>): string {
  const url = new URL(req.originalUrl, originOf(req));
  for (const [key, value] of Object.entries(changes)) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * GitLab's offset pagination (doc/api/rest/_index.md): `page` and `per_page` (20 by default, 100
 * at most), `X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`, `X-Next-Page`, `X-Prev-Page` and a
 * `Link` header with `next`, `prev`, `first` and `last`.
 */
export function sendOffsetPage<T>(req: Request, res: Response, items: readonly T[]): void {
  const perPage = perPageOf(req);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const asked = Number(req.query.page ?? 1);
  const page = Number.isInteger(asked) && asked > 0 ? asked : 1;
  const next = page < totalPages ? String(page + 1) : '';
  const prev = page > 1 ? String(Math.min(page - 1, totalPages)) : '';
  const links = [
    ...(next ? [`<${linkTo(req, { page: next, per_page: String(perPage) })}>; rel="next"`] : []),
    ...(prev ? [`<${linkTo(req, { page: prev, per_page: String(perPage) })}>; rel="prev"`] : []),
    `<${linkTo(req, { page: '1', per_page: String(perPage) })}>; rel="first"`,
    `<${linkTo(req, { page: String(totalPages), per_page: String(perPage) })}>; rel="last"`,
  ];
  res.set({
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-total': String(items.length),
    'x-total-pages': String(totalPages),
    'x-next-page': next,
    'x-prev-page': prev,
    link: links.join(', '),
  });
  res.json(items.slice((page - 1) * perPage, page * perPage));
}

/**
 * Keyset pagination as the repository tree endpoint has it (`pagination=keyset`): the next page
 * starts after the entry named by `page_token`, and only a `Link: <…>; rel="next"` says there is one.
 */
export function sendKeysetPage<T>(
  req: Request,
  res: Response,
  items: readonly T[],
  keyOf: (item: T) => string,
): void {
  const perPage = perPageOf(req);
  const token = typeof req.query.page_token === 'string' ? req.query.page_token : undefined;
  const start = token === undefined ? 0 : items.findIndex((item) => keyOf(item) === token) + 1;
  const page = items.slice(start, start + perPage);
  if (start + perPage < items.length && page.length > 0) {
    res.set(
      'link',
      `<${linkTo(req, { page_token: keyOf(page.at(-1)!), per_page: String(perPage) })}>; rel="next"`,
    );
  }
  res.json(page);
}
