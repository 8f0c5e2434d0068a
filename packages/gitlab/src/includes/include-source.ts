import type { RefKind } from '../cache/include-cache.js';
import type { ComponentAddress } from './component-address.js';

/** Where an included file came from: what a message about it names. */
export interface IncludeOrigin {
  readonly kind: 'project' | 'component' | 'template' | 'remote';
  /** The instance's URL. */
  readonly instance: string;
  readonly project?: string;
  /** The ref as written (`main`, `v1.2.0`, `~latest`); absent for the default branch. */
  readonly ref?: string;
  /** The commit the file was read at. */
  readonly sha?: string;
  /** The file's path in the project, or the template's name. */
  readonly path?: string;
  /** The remote URL (credentials masked). */
  readonly url?: string;
}

/** `acme/ci-templates:templates/base.yml at main (4a143a7)`, `template Jobs/Build.gitlab-ci.yml`, a URL. */
export function describeOrigin(origin: IncludeOrigin): string {
  switch (origin.kind) {
    case 'remote':
      return `remote ${origin.url}`;
    case 'template':
      return `template ${origin.path}`;
    default: {
      const at = origin.ref ? ` at ${origin.ref}` : '';
      const sha = origin.sha ? ` (${origin.sha.slice(0, 8)})` : '';
      return `${origin.project}:${origin.path}${at}${sha}`;
    }
  }
}

/** An included file's content and provenance. */
export interface IncludedFile {
  readonly content: string;
  readonly origin: IncludeOrigin;
  /** When this content was fetched from the instance: now, or when its cached copy was made. */
  readonly fetchedAt: Date;
  readonly fromCache: boolean;
  /**
   * The instance could not be asked, so a moving ref (a branch, `~latest`), a template or a remote
   * file was taken from the cache as it was at `fetchedAt`; it may have changed since.
   */
  readonly stale: boolean;
}

/**
 * Another project's files at one commit, as `include:project` (and a component's own nested
 * includes) see them. Its `root`, `read` and `list` have the shape of `@glci/pipeline`'s
 * `ProjectFiles`, so the pipeline's include loader reads it like a local checkout; nested
 * `include:local` entries in its files are relative to this project and commit, as on GitLab.
 */
export interface RemoteProject {
  /** For messages: `acme/ci-templates@4a143a7`. */
  readonly root: string;
  readonly project: string;
  /** The ref as written; `undefined` for the default branch. */
  readonly ref: string | undefined;
  readonly sha: string;
  readonly refKind: RefKind;
  /** The ref was resolved from the cache while the instance could not be asked. */
  readonly stale: boolean;
  /** When the ref was resolved (now, or when the cached resolution was made). */
  readonly resolvedAt: Date;
  /** A file's text; `undefined` when the commit has no such file. */
  read(file: string): Promise<string | undefined>;
  /** Like `read`, with the file's origin and age. */
  file(file: string): Promise<IncludedFile | undefined>;
  /** Every file of the commit (the whole tree: prefer `match` for wildcards). */
  list(): Promise<readonly string[]>;
  /** The files a wildcard path (`templates/**\/*.yml`) matches, by GitLab's rules, listing only the fixed directory. */
  match(pattern: string): Promise<string[]>;
}

/** The values of `$[[ component.* ]]` in a component's file. */
export interface ComponentContext {
  readonly name: string;
  readonly sha: string;
  /** The released version the reference resolved to (`2.0.0` for `~latest`), else the reference. */
  readonly version: string;
  /** The version as written after `@`. */
  readonly reference: string;
}

export interface ResolvedComponent {
  readonly address: ComponentAddress;
  readonly file: IncludedFile;
  /** The component's project at the resolved commit, for the file's own nested includes. */
  readonly project: RemoteProject;
  readonly context: ComponentContext;
}

/**
 * What the pipeline's include resolution asks GitLab for. Results carry the resolved commit and
 * their origin for messages; failures are `GitlabError`s that say what to do.
 */
export interface IncludeSource {
  /** The instance's `CI_SERVER_FQDN` (`host[:port]`): what component addresses start with. */
  readonly fqdn: string;
  /** A project at a ref (`undefined`: its default branch). */
  project(project: string, ref?: string): Promise<RemoteProject>;
  /** One file of a project at a ref; `undefined` when the commit has no such file. */
  projectFile(project: string, ref: string | undefined, path: string): Promise<IncludedFile | undefined>;
  /** The files of a project at a ref that a wildcard path matches (GitLab's `*` and `**`). */
  projectTree(project: string, ref: string | undefined, pattern: string): Promise<string[]>;
  /** `<fqdn>/<project>/<name>@<version>`: the component's file, project and context. */
  component(address: string): Promise<ResolvedComponent>;
  /** A GitLab CI template by name (`Jobs/Build.gitlab-ci.yml`) as the instance serves it; `undefined` if it has none. */
  template(name: string): Promise<IncludedFile | undefined>;
  /** An `include:remote` URL, checked against `integrity` (SRI sha256) when given. */
  remote(url: string, options?: { readonly integrity?: string | undefined }): Promise<IncludedFile>;
  /** Every file this source handed out, with its age: for a summary, and warnings about stale ones. */
  used(): readonly IncludedFile[];
}
