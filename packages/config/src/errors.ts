import os from 'node:os';

/** One problem a user can act on: which file, which key, what was expected. */
export interface ConfigIssue {
  /** The file the problem is in, or `undefined` for the merged result. */
  readonly file: string | undefined;
  /** Dotted key path, e.g. `network.mock_server_port` or `registry.upstreams[1].url`. */
  readonly key: string;
  readonly message: string;
  /** 1-based position, for syntax errors. */
  readonly line?: number;
  readonly column?: number;
}

/** Thrown for any configuration mistake; its message lists every issue, one per line, without a stack. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where =
    issue.file === undefined
      ? 'configuration'
      : issue.line !== undefined
        ? `${displayPath(issue.file)}:${issue.line}:${issue.column ?? 1}`
        : displayPath(issue.file);
  return issue.key ? `${where}: ${issue.key}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Shows paths under the home directory as `~/...`, as a user would write them. */
export function displayPath(file: string): string {
  const home = os.homedir();
  return home && file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
}

/** `['registry', 'upstreams', 1, 'url']` → `registry.upstreams[1].url`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text ? `${text}.${String(segment)}` : String(segment);
  }, '');
}
