import { HttpError } from './oci-errors.js';

export interface PageRequest {
  /** Requested page size; `undefined` when the client gave none. */
  readonly n: number | undefined;
  readonly last: string | undefined;
  /** What to ask the store for: `n` capped by the registry's page size. */
  readonly limit: number;
}

/** Parses `?n=&last=` (n: a non-negative integer). */
export function parsePage(query: URLSearchParams | undefined, pageSize: number): PageRequest {
  const rawN = query?.get('n') ?? null;
  const last = query?.get('last') ?? undefined;
  let n: number | undefined;
  if (rawN !== null) {
    if (!/^[0-9]{1,9}$/.test(rawN))
      throw new HttpError(400, 'PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer');
    n = Number(rawN);
  }
  return { n, last: last || undefined, limit: Math.min(n ?? pageSize, pageSize) };
}

/** The `Link` header for the next page, RFC 8288 with `rel="next"`. */
export function nextLink(path: string, limit: number, last: string): string {
  return `<${path}?n=${limit}&last=${encodeURIComponent(last)}>; rel="next"`;
}
