/**
 * Ruby's `File.fnmatch?(pattern, path, FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB)`, which GitLab uses
 * for `rules:changes`, `rules:exists` and local include wildcards:
 *
 * - `*` matches within one path segment (dot files too), `?` one character other than `/`;
 * - `**` followed by `/` matches zero or more whole directories; `**` elsewhere is like `*`;
 * - `[abc]`, `[a-z]`, `[!a]`/`[^a]` are character classes; `{a,b}` alternatives (nestable);
 * - `\x` is a literal `x`.
 */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${translate(pattern, 0, false).source}$`, 's');
}

function translate(pattern: string, start: number, inBraces: boolean): { source: string; end: number } {
  let source = '';
  let index = start;
  while (index < pattern.length) {
    const char = pattern[index]!;
    if (inBraces && (char === ',' || char === '}')) return { source, end: index };
    if (char === '\\' && index + 1 < pattern.length) {
      source += escapeRegExp(pattern[index + 1]!);
      index += 2;
      continue;
    }
    if (char === '*') {
      const atSegmentStart = index === 0 || pattern[index - 1] === '/';
      if (pattern[index + 1] === '*' && atSegmentStart && pattern[index + 2] === '/') {
        source += '(?:[^/]*/)*';
        index += 3;
        continue;
      }
      while (pattern[index] === '*') index++;
      source += '[^/]*';
      continue;
    }
    if (char === '?') {
      source += '[^/]';
      index++;
      continue;
    }
    if (char === '[') {
      const close = pattern.indexOf(']', index + 2);
      if (close < 0) {
        source += '\\[';
        index++;
        continue;
      }
      let body = pattern.slice(index + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      const escaped = body.replace(/[\\\]^]/g, (c) => `\\${c}`);
      source += negate ? `(?!/)[^${escaped}]` : `[${escaped}]`;
      index = close + 1;
      continue;
    }
    if (char === '{') {
      const alternatives: string[] = [];
      let cursor = index + 1;
      let closed = false;
      while (cursor <= pattern.length) {
        const inner = translate(pattern, cursor, true);
        alternatives.push(inner.source);
        if (pattern[inner.end] === '}') {
          closed = true;
          cursor = inner.end + 1;
          break;
        }
        if (inner.end >= pattern.length) break;
        cursor = inner.end + 1;
      }
      if (!closed) {
        source += '\\{';
        index++;
        continue;
      }
      source += `(?:${alternatives.join('|')})`;
      index = cursor;
      continue;
    }
    source += escapeRegExp(char);
    index++;
  }
  return { source, end: index };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A compiled list of patterns; a pattern with no glob characters is compared as a plain path. */
export class GlobSet {
  readonly #plain = new Set<string>();
  readonly #patterns: RegExp[] = [];

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const normalized = normalizePath(pattern);
      if (/[*?[{\\]/.test(normalized)) this.#patterns.push(globToRegExp(normalized));
      else this.#plain.add(normalized);
    }
  }

  matches(path: string): boolean {
    if (this.#plain.has(path)) return true;
    return this.#patterns.some((pattern) => pattern.test(path));
  }
}

/** Strips `./` and a leading `/`: GitLab's paths are relative to the project root. */
export function normalizePath(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, '');
}
