import { describeOrigin, type IncludedFile, type RemoteProject } from '@glci/gitlab/planning';
import type { IncludeEntry } from './include-entries.js';
import type { FileOrigin, IncludeEnvironment } from './include-environment.js';
import { gitlabFailure, includeFailure, includeUnsupported } from './include-failure.js';
import { normalizeProjectPath, type ProjectFiles } from './project-files.js';

// Re-exported: the package index names FileOrigin from here.
export type { FileOrigin } from './include-environment.js';

export interface IncludedText {
  readonly text: string;
  readonly origin?: FileOrigin;
}

/**
 * A file being loaded and the project it belongs to: nested `include:local` entries resolve in
 * `project`, as on GitLab (another project's file includes that project's files, at its commit).
 */
export interface IncludeFrame {
  readonly project: ProjectFiles;
  readonly projectPath: string;
  /** The project at its commit (`group/project@sha` for another project): part of each file's identity. */
  readonly projectKey: string;
  readonly file: string;
  /** As shown in messages: a path in the pipeline's project, `group/project:path` in another one. */
  readonly name: string;
  /** What a cycle is detected by. */
  readonly key: string;
  /** `false` for templates and remote files: GitLab gives them no project to include local files from. */
  readonly localIncludes: boolean;
  /** Included files must end in `.yml`/`.yaml` (not an artifact, whose name GitLab does not check). */
  readonly checkExtension: boolean;
  /** The name another file of this project is shown by. */
  nameOf(file: string): string;
  /** A file of this project with where it came from; `undefined` when there is no such file. */
  readText(file: string): Promise<IncludedText | undefined>;
}

/** An external include, fetched: the file to load, or the message GitLab gives when it is missing. */
export interface ResolvedInclude {
  readonly frame: IncludeFrame;
  readonly text: IncludedText | undefined;
  readonly missing: string;
  readonly component?: Readonly<Record<string, string>>;
}

/** The frame of a file of the pipeline's own project (or of a mapped local checkout). */
export function localFrame(
  project: ProjectFiles,
  projectPath: string,
  file: string,
  own: boolean,
): IncludeFrame {
  const nameOf = (each: string) => (own ? each : `${projectPath}:${each}`);
  return {
    project,
    projectPath,
    projectKey: projectPath,
    file,
    name: nameOf(file),
    key: `${projectPath}:${file}`,
    localIncludes: true,
    checkExtension: true,
    nameOf,
    readText: async (each) => {
      const text = await project.read(each);
      return text === undefined ? undefined : { text };
    },
  };
}

function remoteFrame(project: RemoteProject, file: string): IncludeFrame {
  const projectKey = `${project.project}@${project.sha}`;
  const nameOf = (each: string) => `${project.project}:${each}`;
  return {
    project,
    projectPath: project.project,
    projectKey,
    file,
    name: nameOf(file),
    key: `${projectKey}:${file}`,
    localIncludes: true,
    checkExtension: true,
    nameOf,
    readText: async (each) => {
      const found = await project.file(each);
      return found && included(found);
    },
  };
}

/** A template or remote file: no project of its own (a local include in it is refused, as on GitLab). */
function detachedFrame(root: IncludeFrame, key: string, name: string, file: string): IncludeFrame {
  return { ...root, projectKey: key, file, name, key: `${key}:${file}`, localIncludes: false };
}

function included(file: IncludedFile): IncludedText {
  return {
    text: file.content,
    origin: {
      description: describeOrigin(file.origin),
      fetchedAt: file.fetchedAt.toISOString(),
      fromCache: file.fromCache,
      stale: file.stale,
    },
  };
}

/**
 * Resolves the includes that are not the including project's own files: `project` and `component`
 * from a local checkout mapped in the glci config (`[projects."group/proj"] dir`, `--project-dir`)
 * or, failing that, from the user's GitLab instance; `template` and `remote` from the instance; a
 * job's `artifact` (dynamic child pipelines) from the run. Failures name the entry and say what
 * the instance answered and what to do, in GitLab's words where GitLab has them.
 */
export class ExternalIncludes {
  readonly warnings: string[] = [];
  readonly #mask: (text: string) => string;

  constructor(
    private readonly environment: IncludeEnvironment,
    private readonly root: IncludeFrame,
  ) {
    this.#mask = environment.mask ?? ((text) => text);
  }

  async resolve(entry: IncludeEntry, expand: (text: string) => string): Promise<ResolvedInclude[]> {
    switch (entry.kind) {
      case 'local':
        throw new Error('local includes are resolved by the loader');
      case 'project':
        return this.#project(entry, expand);
      case 'component':
        return [await this.#component(entry, expand(entry.reference))];
      case 'template':
        return [await this.#template(entry, entry.name)];
      case 'remote':
        return [await this.#remote(entry, this.#expanded(entry, expand, entry.url, 'Remote file'))];
      case 'artifact':
        return [await this.#artifact(entry)];
    }
  }

  async #project(
    entry: Extract<IncludeEntry, { kind: 'project' }>,
    expand: (text: string) => string,
  ): Promise<ResolvedInclude[]> {
    const projectPath = this.#expanded(entry, expand, entry.project, 'Project').replace(/^\/+|\/+$/g, '');
    const ref = entry.ref === undefined ? undefined : expand(entry.ref);
    const files = entry.files.map((written) => {
      const file = normalizeProjectPath(expand(written));
      if (file === undefined)
        throw includeFailure(entry, `Project file \`${this.#mask(written)}\` is outside the project`);
      return file;
    });
    const missing = (file: string) =>
      `Project \`${projectPath}\` file \`${file}\` does not exist!${ref === undefined ? '' : ` (at ref ${ref})`}`;
    const local = await this.#localProject(projectPath);
    if (local) {
      if (ref !== undefined)
        this.warnings.push(
          `${entry.keyPath}: ref \`${ref}\` of ${projectPath} is read from its local checkout as it is`,
        );
      return Promise.all(
        files.map(async (file) => {
          const frame = localFrame(local, projectPath, file, projectPath === this.root.projectPath);
          return { frame, text: await frame.readText(file), missing: missing(file) };
        }),
      );
    }
    const source = this.environment.gitlab;
    if (!source)
      throw includeUnsupported(
        entry,
        `include:project \`${projectPath}\` needs a GitLab instance or a local checkout: map it with [projects."${projectPath}"] dir = "../path" in .glciconfig.toml (or --project-dir ${projectPath}=../path)`,
      );
    const wording = {
      notFound: `Project \`${projectPath}\` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined.`,
      missingRef: `Project \`${projectPath}\` reference \`${ref ?? 'HEAD'}\` does not exist!`,
    };
    let project: RemoteProject;
    try {
      project = await source.project(projectPath, ref);
    } catch (error) {
      throw gitlabFailure(entry, error, wording, this.#mask);
    }
    return Promise.all(
      files.map(async (file) => {
        const frame = remoteFrame(project, file);
        try {
          return { frame, text: await frame.readText(file), missing: missing(file) };
        } catch (error) {
          throw gitlabFailure(entry, error, wording, this.#mask);
        }
      }),
    );
  }

  /**
   * A location with its variables expanded; one that still names a variable nothing sets is
   * refused here, saying which (GitLab would only say it is not a valid location).
   */
  #expanded(entry: IncludeEntry, expand: (text: string) => string, written: string, what: string): string {
    const expanded = expand(written);
    const unset = [...expanded.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((match) => `$${match[1]}`);
    if (unset.length === 0) return expanded;
    throw includeFailure(
      entry,
      `${what} \`${this.#mask(written)}\` uses ${unset.join(', ')}, which no variable sets: include locations see predefined, pipeline (--env) and CI/CD variables (those need a GitLab token, and offline only the daemon's memory holds them)`,
    );
  }

  /** A mapped local checkout; the pipeline's own project is its working tree. */
  async #localProject(projectPath: string): Promise<ProjectFiles | undefined> {
    if (projectPath.toLowerCase() === this.root.projectPath.toLowerCase()) return this.root.project;
    return this.environment.projects?.project(projectPath);
  }

  /** `component: host/group/project/name@version`: the working tree, a mapped checkout, or the instance. */
  async #component(
    entry: Extract<IncludeEntry, { kind: 'component' }>,
    reference: string,
  ): Promise<ResolvedInclude> {
    const match = /^([^/]+)\/(.+)\/([^/@]+)@(.+)$/.exec(reference);
    if (!match)
      throw includeFailure(
        entry,
        `Component '${this.#mask(reference)}' - the component path is not supported (write it as <fqdn>/<project path>/<name>@<version>)`,
      );
    const [, host, projectPath, name, version] = match as unknown as [string, string, string, string, string];
    const fqdn = this.environment.serverFqdn;
    const own = projectPath.toLowerCase() === this.root.projectPath.toLowerCase();
    const local = own
      ? this.root.project
      : fqdn === undefined || host.toLowerCase() === fqdn.toLowerCase()
        ? await this.environment.projects?.project(projectPath)
        : undefined;
    if (local) {
      const sha = this.environment.variables('CI_COMMIT_SHA') ?? '';
      if (own && ![sha, this.environment.variables('CI_COMMIT_REF_NAME')].includes(version))
        this.warnings.push(
          `${entry.keyPath}: component ${name}@${version} of this project is read from the working tree`,
        );
      const files = await local.list();
      const candidates = [`templates/${name}.yml`, `templates/${name}/template.yml`];
      const file = candidates.find((candidate) => files.includes(candidate));
      if (!file) throw includeFailure(entry, `Component '${this.#mask(reference)}' - content not found`);
      const frame = localFrame(local, projectPath, file, own);
      return {
        frame,
        text: await frame.readText(file),
        missing: `Component '${reference}' - content not found`,
        component: { name, sha: own ? sha : '', version, reference: version },
      };
    }
    const source = this.environment.gitlab;
    if (!source)
      throw includeUnsupported(
        entry,
        `component \`${reference}\` needs a GitLab instance or a local checkout of ${projectPath}: map it with [projects."${projectPath}"] dir = "../path" in .glciconfig.toml`,
      );
    try {
      const resolved = await source.component(reference);
      const file = resolved.file.origin.path ?? `templates/${name}.yml`;
      return {
        frame: remoteFrame(resolved.project, file),
        text: included(resolved.file),
        missing: `Component '${reference}' - content not found`,
        component: { ...resolved.context },
      };
    } catch (error) {
      throw gitlabFailure(
        entry,
        error,
        {
          notFound: `Component '${reference}' - project does not exist or you don't have sufficient permissions`,
          missingRef: `Component '${reference}' - content not found`,
        },
        this.#mask,
      );
    }
  }

  async #template(entry: IncludeEntry, name: string): Promise<ResolvedInclude> {
    const source = this.environment.gitlab;
    if (!source)
      throw includeUnsupported(
        entry,
        `Template \`${name}\` needs a GitLab instance: glci reads templates from [gitlab] url (or GITLAB_URL)`,
      );
    if (!name.endsWith('.gitlab-ci.yml'))
      throw includeFailure(entry, `Template file \`${this.#mask(name)}\` is not a valid location!`);
    try {
      const file = await source.template(name);
      return {
        frame: detachedFrame(this.root, 'template', `template:${name}`, name),
        text: file && included(file),
        missing: `Included file \`${name}\` is empty or does not exist!`,
      };
    } catch (error) {
      throw gitlabFailure(entry, error, {}, this.#mask);
    }
  }

  async #remote(entry: Extract<IncludeEntry, { kind: 'remote' }>, url: string): Promise<ResolvedInclude> {
    const source = this.environment.gitlab;
    if (!source)
      throw includeUnsupported(
        entry,
        `Remote file \`${this.#mask(url)}\` needs glci's connection to GitLab, which this planning has not`,
      );
    try {
      const file = await source.remote(url, { integrity: entry.integrity });
      const shown = this.#mask(file.origin.url ?? url);
      return {
        frame: detachedFrame(this.root, 'remote', shown, url),
        text: included(file),
        missing: `Included file \`${shown}\` is empty or does not exist!`,
      };
    } catch (error) {
      throw gitlabFailure(entry, error, {}, this.#mask);
    }
  }

  async #artifact(entry: Extract<IncludeEntry, { kind: 'artifact' }>): Promise<ResolvedInclude> {
    const read = this.environment.artifacts;
    if (!read)
      throw includeUnsupported(
        entry,
        `the artifact ${entry.artifact} of ${entry.job} exists only once that job has run: glci run plans this child pipeline then`,
      );
    const text = await read(entry.job, entry.artifact);
    const frame: IncludeFrame = {
      ...this.root,
      file: entry.artifact,
      name: `${entry.job}:${entry.artifact}`,
      key: `artifact:${entry.job}:${entry.artifact}`,
      checkExtension: false,
    };
    return {
      frame,
      text: text === undefined ? undefined : { text },
      missing: `Included file \`${entry.artifact}\` is empty or does not exist! (job ${entry.job} did not keep it among its artifacts)`,
    };
  }
}
