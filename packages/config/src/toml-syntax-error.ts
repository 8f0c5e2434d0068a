import type { TomlError } from 'smol-toml';

/** A TOML syntax error as the user sees it: where, under which key, and what went wrong. */
export function describeTomlError(
  text: string,
  error: TomlError,
): { key: string; message: string; line: number; column: number } {
  const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') || 'syntax error';
  const source = text.split(/\r?\n/)[error.line - 1] ?? '';
  // `max_size = 500MB` is the likeliest mistake of all: units make the value a string.
  const hint = /=\s*\d+(\.\d+)?\s*[A-Za-z]+\s*(#.*)?$/.test(source)
    ? ' (a size or duration is a string: write "500MB", "30m")'
    : '';
  return {
    key: tomlKeyPathAt(text, error.line),
    message: `invalid TOML: ${reason}${hint}`,
    line: error.line,
    column: error.column,
  };
}

/**
 * The key path a TOML syntax error is at, read from the text itself (the TOML parser reports only a
 * line and column): the table header in force at that line plus the key being assigned, e.g.
 * `cache.ttl` or `registry.upstreams[1].url`. A best effort for messages; never used for values.
 */
export function tomlKeyPathAt(text: string, line: number): string {
  const headerCounts = new Map<string, number>();
  let table = '';
  let key: string | undefined;
  for (const raw of text.split(/\r?\n/).slice(0, line)) {
    const current = raw.trim();
    const arrayHeader = /^\[\[\s*([^\]]*?)\s*\]\]/.exec(current);
    const header = arrayHeader ? undefined : /^\[\s*([^\]]*?)\s*(\]|$)/.exec(current);
    const assignment = /^([A-Za-z0-9_\-."' ]+?)\s*=/.exec(current);
    if (arrayHeader) {
      const name = joinKey(arrayHeader[1]!);
      const index = headerCounts.get(name) ?? 0;
      headerCounts.set(name, index + 1);
      table = `${name}[${index}]`;
      key = undefined;
    } else if (header) {
      table = joinKey(header[1]!);
      key = undefined;
    } else if (assignment) {
      key = joinKey(assignment[1]!);
    }
  }
  return [table, key].filter(Boolean).join('.');
}

/** `registry . "storage"` → `registry.storage`. */
function joinKey(dotted: string): string {
  return dotted
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .filter(Boolean)
    .join('.');
}
