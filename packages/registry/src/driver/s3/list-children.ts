/**
 * Direct children of one S3 "directory" in the driver's order, one bounded page at a time.
 *
 * S3 lists keys in byte order, and with `Delimiter: '/'` a child directory `d` appears as the
 * common prefix `d/`. The driver orders children by name (`d` before `d-x` and `d.x`), but S3 puts
 * `d-x` and `d.x` before `d/`, because `-` and `.` sort below `/`. These are the only two
 * characters of a path segment that do, so a name can only be overtaken by a directory whose name
 * is a prefix of it followed by `-` or `.`. The merge below emits a name only once every such
 * candidate directory is known to exist or not: either the S3 listing already went past its key,
 * or one `MaxKeys: 1` probe answered. A page therefore costs ceil(limit / pageSize) list calls plus
 * at most one probe per distinct candidate, never a walk of the whole directory.
 */

const SEGMENT = /^[A-Za-z0-9._-]+$/;

export interface ListingPage {
  /** Child names (relative to the directory) that are objects. */
  readonly files: readonly string[];
  /** Child names that are common prefixes, without the trailing `/`. */
  readonly directories: readonly string[];
  /** The greatest relative key the page covered (`name` or `name/`), in S3 order. */
  readonly lastKey: string | undefined;
  readonly truncated: boolean;
  readonly nextToken: string | undefined;
}

export interface ListingSource {
  /** One `ListObjectsV2` call on the directory: `startAfter` is a relative key. */
  page(options: { startAfter?: string; token?: string; maxKeys: number }): Promise<ListingPage>;
  /** Whether `name/` has anything under it (one `MaxKeys: 1` call). */
  hasDirectory(name: string): Promise<boolean>;
}

/**
 * Up to `limit` child names strictly after `startAfter` (a name), in byte order, skipping names
 * that are not valid path segments (the driver's hidden `~` areas). `exists` is false when the
 * directory had nothing at all in the range read, which the caller turns into `PathNotFoundError`.
 */
export async function listChildren(
  source: ListingSource,
  options: { startAfter?: string; limit?: number; pageSize?: number },
): Promise<{ names: string[]; sawAnything: boolean }> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const after = options.startAfter;
  const pageSize =
    options.pageSize ?? Math.min(1000, Math.max(100, Number.isFinite(limit) ? limit + 1 : 1000));
  const names: string[] = [];
  const emitted = new Set<string>();
  const pending: string[] = [];
  const known = new Map<string, boolean>();
  let sawAnything = false;
  let maxSeenKey: string | undefined;
  let exhausted = false;
  let token: string | undefined;
  let firstPage = true;

  const add = (name: string) => {
    if (!SEGMENT.test(name) || (after !== undefined && name <= after) || emitted.has(name)) return;
    if (pending.includes(name)) return;
    const index = pending.findIndex((other) => other > name);
    pending.splice(index === -1 ? pending.length : index, 0, name);
  };

  while (names.length < limit) {
    if (pending.length === 0) {
      if (exhausted) break;
      const page = await source.page({
        ...(firstPage && after !== undefined ? { startAfter: after } : {}),
        ...(token !== undefined ? { token } : {}),
        maxKeys: pageSize,
      });
      firstPage = false;
      if (page.files.length > 0 || page.directories.length > 0) sawAnything = true;
      for (const name of page.files) add(name);
      for (const name of page.directories) {
        known.set(name, true);
        add(name);
      }
      if (page.lastKey !== undefined && (maxSeenKey === undefined || page.lastKey > maxSeenKey)) {
        maxSeenKey = page.lastKey;
      }
      exhausted = !page.truncated;
      token = page.nextToken;
      continue;
    }
    const front = pending[0]!;
    const unresolved = candidates(front).find(
      (candidate) =>
        (after === undefined || candidate > after) &&
        !emitted.has(candidate) &&
        !known.has(candidate) &&
        !exhausted &&
        !(maxSeenKey !== undefined && `${candidate}/` <= maxSeenKey),
    );
    if (unresolved !== undefined) {
      const exists = await source.hasDirectory(unresolved);
      known.set(unresolved, exists);
      if (exists) {
        sawAnything = true;
        add(unresolved);
      }
      continue;
    }
    pending.shift();
    emitted.add(front);
    names.push(front);
  }
  return { names, sawAnything };
}

/** Directory names that S3 lists after `name` but the driver orders before it. */
function candidates(name: string): string[] {
  const result: string[] = [];
  for (let index = 1; index < name.length; index += 1) {
    const character = name[index];
    if (character === '-' || character === '.') result.push(name.slice(0, index));
  }
  return result;
}
