/**
 * The project's `origin` remote, read as GitLab users write it. It names the instance glci talks to
 * when nothing else does, the project's own path there, and how to reach sibling projects with the
 * user's own git access (same transport, same host, same user and port).
 */
export interface OriginRemote {
  /** The instance's web and API base, e.g. `https://gitlab.example.com` (never with credentials). */
  readonly instanceUrl: string;
  /** The project's full path, e.g. `group/subgroup/project`. */
  readonly projectPath: string;
  readonly transport: 'ssh' | 'http';
  /** The git URL of another project on the same instance, with the same transport as `origin`. */
  gitUrlFor(projectPath: string): string;
}

const SCP_LIKE = /^(?:([^@/\s]+)@)?([^:/\s]+):(?!\/\/)(.+)$/;

/** Parses `git@host:g/p.git`, `ssh://git@host:port/g/p.git`, `https://host/g/p.git`; `undefined` otherwise. */
export function parseOriginRemote(url: string): OriginRemote | undefined {
  const text = url.trim();
  const scp = SCP_LIKE.exec(text);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const [, user, host, rest] = scp;
    const projectPath = projectPathOf(rest!);
    if (!projectPath) return undefined;
    const prefix = `${user ? `${user}@` : ''}${host}`;
    return {
      instanceUrl: `https://${host}`,
      projectPath,
      transport: 'ssh',
      gitUrlFor: (other) => `${prefix}:${other}.git`,
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  const projectPath = projectPathOf(decodeURIComponent(parsed.pathname));
  if (!projectPath || !parsed.hostname) return undefined;
  switch (parsed.protocol) {
    case 'ssh:':
    case 'git+ssh:':
    case 'ssh+git:': {
      const authority = `${parsed.username ? `${parsed.username}@` : ''}${parsed.host}`;
      return {
        instanceUrl: `https://${hostOnly(parsed)}`,
        projectPath,
        transport: 'ssh',
        gitUrlFor: (other) => `ssh://${authority}/${other}.git`,
      };
    }
    case 'http:':
    case 'https:': {
      // Credentials written into a remote URL are the user's; they stay out of what glci shows.
      const base = `${parsed.protocol}//${parsed.host}`;
      return {
        instanceUrl: base,
        projectPath,
        transport: 'http',
        gitUrlFor: (other) => `${base}/${other}.git`,
      };
    }
    case 'git:':
      return {
        instanceUrl: `https://${hostOnly(parsed)}`,
        projectPath,
        transport: 'http',
        gitUrlFor: (other) => `https://${hostOnly(parsed)}/${other}.git`,
      };
    default:
      return undefined;
  }
}

function hostOnly(url: URL): string {
  // An SSH port is not the web port: the instance is served on the standard HTTPS port.
  return url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname;
}

/** `/group/project.git/` → `group/project`; a path of one segment is a user, not a project. */
function projectPathOf(path: string): string | undefined {
  const trimmed = path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .replace(/^~/, '');
  const segments = trimmed.split('/');
  if (segments.length < 2 || segments.some((segment) => !isPathSegment(segment))) return undefined;
  return trimmed;
}

/** GitLab's namespace and project path segments: letters, digits, `_`, `-` and `.`, not `.`/`..`. */
export function isPathSegment(segment: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(segment) && segment !== '.' && segment !== '..';
}

/** A project's full path as GitLab names it (`group/sub/project`); anything else is refused. */
export function isProjectPath(path: string): boolean {
  const segments = path.split('/');
  return segments.length >= 2 && segments.every(isPathSegment);
}
