import { IssueCollector, PipelineConfigError, UnsupportedFeatureError } from '../errors.js';
import { expandText } from '../variables/expand.js';
import { isYamlMap, loadYamlDocuments, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { type SourceLocation, SourceMap } from '../yaml/source-map.js';
import { deepMerge } from './deep-merge.js';
import { type IncludeEntry, readIncludeEntries } from './include-entries.js';
import { interpolate } from './interpolate.js';
import { normalizeProjectPath, type ProjectFiles } from './project-files.js';
import { type InputSpec, parseInputSpecs, resolveInputs } from './spec-inputs.js';

/** GitLab's limits on includes. */
export const MAX_INCLUDED_FILES = 150;
export const MAX_INCLUDE_DEPTH = 100;

/**
 * Finds another project's files for `include:project`, `component` and `trigger:project`: today a
 * local checkout (`[projects."group/proj"] dir`, `--project-dir`). This is the one seam through
 * which included files of other projects arrive; a resolver that fetches from a GitLab instance
 * plugs in here (with `remote`/`template`, which `IncludeLoader#resolve` refuses today).
 */
export interface ProjectResolver {
  project(path: string): Promise<ProjectFiles | undefined>;
}

export interface IncludeEnvironment {
  /** Variables an include may use: predefined and pipeline variables (not YAML `variables:`). */
  readonly variables: (name: string) => string | undefined;
  /** Evaluates an include's `rules:` in the project that holds the including file. */
  readonly evaluateRules: (
    rules: YamlValue,
    where: { readonly keyPath: string; readonly location: SourceLocation | undefined },
    project: ProjectFiles,
  ) => Promise<boolean>;
  readonly projects?: ProjectResolver;
  /** `CI_SERVER_FQDN`, the host a component reference must start with. */
  readonly serverFqdn?: string;
}

export interface LoadConfigOptions {
  readonly project: ProjectFiles;
  /** The project's path (`group/project`), which names its files in messages of other projects. */
  readonly projectPath: string;
  /** The CI file, relative to the project root (default `.gitlab-ci.yml`). */
  readonly file?: string;
  /** Use this text instead of reading `file` (an editor buffer, `glci lint -`). */
  readonly text?: string;
  /** Values for the root file's `spec: inputs`. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly include: IncludeEnvironment;
}

export interface LoadedFile {
  /** As shown in messages: a path in this project, or `group/project:path` in another one. */
  readonly name: string;
  readonly includedFrom?: SourceLocation;
}

/** The root file with every include merged in, before `extends` and `!reference`. */
export interface RawConfig {
  readonly content: YamlMap;
  readonly sourceMap: SourceMap;
  readonly files: readonly LoadedFile[];
  /** The root file's `spec: inputs`, for a form that asks for them. */
  readonly inputSpecs: readonly InputSpec[];
  readonly warnings: readonly string[];
}

interface FileFrame {
  readonly project: ProjectFiles;
  readonly projectPath: string;
  readonly file: string;
  readonly name: string;
}

/**
 * Loads a project's CI configuration: the root file and every `include:` (local files with
 * wildcards, files of other local projects, components of mapped projects), each with its `rules`
 * and `inputs`, merged as GitLab does (included files first, in order, then the including file on
 * top). Remote and template includes are refused with an `UnsupportedFeatureError`. Every problem
 * carries file:line:column.
 */
export async function loadRawConfig(options: LoadConfigOptions): Promise<RawConfig> {
  const sourceMap = new SourceMap();
  const loader = new IncludeLoader(sourceMap, options.include, options.projectPath, options.project);
  const file = normalizeProjectPath(options.file ?? '.gitlab-ci.yml') ?? '.gitlab-ci.yml';
  const frame: FileFrame = { project: options.project, projectPath: options.projectPath, file, name: file };
  const text = options.text ?? (await options.project.read(file));
  if (text === undefined) {
    throw new PipelineConfigError([
      { keyPath: '', message: `${file} does not exist in ${options.project.root}` },
    ]);
  }
  const { content, specs } = await loader.loadFile(frame, text, options.inputs ?? {}, undefined, [], true);
  return { content, sourceMap, files: loader.files, inputSpecs: specs, warnings: loader.warnings };
}

class IncludeLoader {
  readonly files: LoadedFile[] = [];
  readonly warnings: string[] = [];
  #count = 0;

  constructor(
    private readonly sourceMap: SourceMap,
    private readonly environment: IncludeEnvironment,
    private readonly rootProjectPath: string,
    private readonly rootProject: ProjectFiles,
  ) {}

  /**
   * Another project's files; the project itself is its working tree (a component of this project
   * at `$CI_COMMIT_SHA` needs no mapping).
   */
  private async projectFiles(projectPath: string): Promise<ProjectFiles | undefined> {
    if (projectPath === this.rootProjectPath) return this.rootProject;
    return this.environment.projects?.project(projectPath);
  }

  async loadFile(
    frame: FileFrame,
    text: string,
    givenInputs: Readonly<Record<string, unknown>>,
    includedFrom: SourceLocation | undefined,
    stack: readonly string[],
    isRoot: boolean,
    component?: Readonly<Record<string, string>>,
  ): Promise<{ content: YamlMap; specs: InputSpec[] }> {
    this.files.push({ name: frame.name, ...(includedFrom ? { includedFrom } : {}) });
    const issues = new IssueCollector();
    const documents = loadYamlDocuments(text, frame.name, this.sourceMap);
    let header: YamlValue | undefined;
    let body: YamlValue;
    if (documents.length >= 2 && isYamlMap(documents[0]) && 'spec' in documents[0]) {
      header = documents[0];
      body = documents[1]!;
      if (documents.length > 2)
        issues.add('', 'a CI file holds at most two YAML documents: the `spec:` header and the content', {
          file: frame.name,
          line: 1,
          column: 1,
        });
    } else {
      if (documents.length > 1)
        issues.add('', 'a CI file with several YAML documents must start with a `spec:` header', {
          file: frame.name,
          line: 1,
          column: 1,
        });
      body = documents[0] ?? null;
    }
    const specs = header ? parseInputSpecs(header, this.sourceMap, issues, frame.name) : [];
    const hasInputs = Object.keys(givenInputs).length > 0;
    if (!header && hasInputs) {
      issues.add(
        'inputs',
        isRoot
          ? 'inputs were given, but the file has no `spec: inputs` header'
          : 'Given inputs not defined in the `spec` section of the included configuration file',
        includedFrom,
      );
    }
    issues.throwIfAny();
    if (body === null || body === undefined) {
      if (isRoot)
        throw new PipelineConfigError([
          {
            keyPath: '',
            message: 'Please provide content of .gitlab-ci.yml',
            location: { file: frame.name, line: 1, column: 1 },
          },
        ]);
      throw new PipelineConfigError([
        {
          keyPath: '',
          message: `Included file \`${frame.name}\` is empty or does not exist!`,
          ...(includedFrom ? { location: includedFrom } : {}),
        },
      ]);
    }
    if (header) {
      const inputs = resolveInputs(
        specs,
        givenInputs,
        issues,
        includedFrom ?? { file: frame.name, line: 1, column: 1 },
      );
      issues.throwIfAny();
      body = interpolate(
        body,
        { inputs, variables: this.environment.variables, ...(component ? { component } : {}) },
        issues,
        this.sourceMap,
        frame.name,
      );
      issues.throwIfAny();
    }
    if (!isYamlMap(body)) {
      throw new PipelineConfigError([
        {
          keyPath: '',
          message: isRoot
            ? 'Invalid configuration format'
            : `Included file \`${frame.name}\` does not have valid YAML syntax!`,
          location: this.sourceMap.locationOf(body) ?? { file: frame.name, line: 1, column: 1 },
        },
      ]);
    }
    const entries = readIncludeEntries(body.include ?? null, body, this.sourceMap, issues);
    issues.throwIfAny();
    // Included files merge into one map owned here, so a key only one file sets is not copied again.
    const merged: YamlMap = {};
    const mergedEntries = this.sourceMap.record(
      merged,
      this.sourceMap.locationOf(body) ?? { file: frame.name, line: 1, column: 1 },
    );
    for (const entry of entries) {
      for (const included of await this.resolveEntry(entry, frame, [
        ...stack,
        `${frame.projectPath}:${frame.file}`,
      ])) {
        for (const [key, value] of Object.entries(included)) {
          merged[key] = key in merged ? deepMerge(merged[key]!, value, this.sourceMap) : value;
          const at = this.sourceMap.entryLocation(included, key);
          if (at) mergedEntries.set(key, at);
        }
      }
    }
    const own: YamlMap = {};
    this.sourceMap.alias(own, body);
    for (const [key, value] of Object.entries(body)) if (key !== 'include') own[key] = value;
    copyEntries(this.sourceMap, body, own);
    const content = entries.length > 0 ? (deepMerge(merged, own, this.sourceMap) as YamlMap) : own;
    return { content, specs };
  }

  private async resolveEntry(
    entry: IncludeEntry,
    frame: FileFrame,
    stack: readonly string[],
  ): Promise<YamlMap[]> {
    const where = { keyPath: entry.keyPath, location: entry.location };
    if (
      entry.rules !== undefined &&
      !(await this.environment.evaluateRules(entry.rules, where, frame.project))
    )
      return [];
    if (stack.length >= MAX_INCLUDE_DEPTH)
      this.fail(entry, `Maximum of ${MAX_INCLUDE_DEPTH} nested includes are allowed!`);
    const expand = (text: string) => expandText(text, this.environment.variables, { keepUnknown: true });
    const inputs = (entry.inputs ?? {}) as Record<string, unknown>;
    switch (entry.kind) {
      case 'local': {
        const files = await this.matchLocal(frame.project, expand(entry.path), entry);
        const results: YamlMap[] = [];
        for (const file of files)
          results.push(await this.include(frame.project, frame.projectPath, file, inputs, entry, stack));
        return results;
      }
      case 'project': {
        const projectPath = expand(entry.project).replace(/^\/+|\/+$/g, '');
        const project = await this.projectFiles(projectPath);
        if (!project)
          this.unsupported(
            entry,
            `include:project \`${projectPath}\` needs a local checkout: map it with [projects."${projectPath}"] dir = "../path" in .glciconfig.toml (or --project-dir ${projectPath}=../path)`,
          );
        if (entry.ref)
          this.warnings.push(
            `${entry.keyPath}: ref \`${entry.ref}\` of ${projectPath} is read from its local checkout as it is`,
          );
        const results: YamlMap[] = [];
        for (const file of entry.files) {
          const path = normalizeProjectPath(expand(file));
          if (path === undefined) this.fail(entry, `Project file \`${file}\` is outside the project`);
          results.push(await this.include(project!, projectPath, path!, inputs, entry, stack));
        }
        return results;
      }
      case 'component':
        return [await this.includeComponent(expand(entry.reference), inputs, entry, stack)];
      case 'remote':
        return this.unsupported(
          entry,
          `Remote file \`${entry.url}\` cannot be included: glci plans pipelines offline; download it into the project and use include:local`,
        );
      case 'template':
        return this.unsupported(
          entry,
          `Template \`${entry.name}\` cannot be included: GitLab's CI templates are not available offline; copy the template into the project and use include:local`,
        );
    }
  }

  private async include(
    project: ProjectFiles,
    projectPath: string,
    file: string,
    inputs: Readonly<Record<string, unknown>>,
    entry: IncludeEntry,
    stack: readonly string[],
    component?: Readonly<Record<string, string>>,
  ): Promise<YamlMap> {
    if (!/\.ya?ml$/.test(file)) this.fail(entry, `Included file \`${file}\` does not have YAML extension!`);
    const key = `${projectPath}:${file}`;
    if (stack.includes(key))
      this.fail(
        entry,
        `include cycle: ${[...stack, key].map((each) => each.split(':').slice(1).join(':')).join(' → ')}`,
      );
    if (++this.#count > MAX_INCLUDED_FILES)
      this.fail(entry, `Maximum of ${MAX_INCLUDED_FILES} includes are allowed`);
    const text = await project.read(file);
    if (text === undefined) {
      this.fail(
        entry,
        entry.kind === 'local'
          ? `Local file \`${file}\` does not exist!`
          : `Project \`${projectPath}\` file \`${file}\` does not exist!`,
      );
    }
    const name = projectPath === this.rootProjectPath ? file : `${projectPath}:${file}`;
    const frame: FileFrame = { project, projectPath, file, name };
    const { content } = await this.loadFile(frame, text!, inputs, entry.location, stack, false, component);
    return content;
  }

  /** `include:local` with `*` (within a directory) and `**` (across directories), as GitLab matches them. */
  private async matchLocal(project: ProjectFiles, path: string, entry: IncludeEntry): Promise<string[]> {
    const normalized = normalizeProjectPath(path);
    if (normalized === undefined) this.fail(entry, `Local file \`${path}\` is outside the project`);
    if (!normalized!.includes('*')) return [normalized!];
    const pattern = new RegExp(
      `^${normalized!
        .split(/(\*\*|\*)/)
        .map((part) =>
          part === '**' ? '.*?' : part === '*' ? '[^/]*?' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}$`,
    );
    const matches = (await project.list()).filter((file) => pattern.test(file));
    if (matches.length === 0) this.fail(entry, `Local file \`${normalized}\` does not exist!`);
    return matches;
  }

  /** `component: host/group/project/name@version`, from the mapped project's `templates/`. */
  private async includeComponent(
    reference: string,
    inputs: Readonly<Record<string, unknown>>,
    entry: IncludeEntry,
    stack: readonly string[],
  ): Promise<YamlMap> {
    const match = /^([^/]+)\/(.+)\/([^/@]+)@(.+)$/.exec(reference);
    if (!match)
      this.fail(entry, `component \`${reference}\` should be written host/group/project/name@version`);
    const [, host, projectPath, name, version] = match!;
    if (this.environment.serverFqdn && host !== this.environment.serverFqdn && host !== '$CI_SERVER_FQDN')
      this.warnings.push(
        `${entry.keyPath}: component host ${host} differs from this project's ${this.environment.serverFqdn}`,
      );
    const project = await this.projectFiles(projectPath!);
    const current = [
      this.environment.variables('CI_COMMIT_SHA'),
      this.environment.variables('CI_COMMIT_REF_NAME'),
    ];
    if (projectPath === this.rootProjectPath && !current.includes(version))
      this.warnings.push(
        `${entry.keyPath}: component ${name}@${version} of this project is read from the working tree`,
      );
    if (!project)
      this.unsupported(
        entry,
        `component \`${reference}\` needs a local checkout of ${projectPath}: map it with [projects."${projectPath}"] dir = "../path" in .glciconfig.toml`,
      );
    const files = await project!.list();
    const candidates = [`templates/${name}.yml`, `templates/${name}/template.yml`];
    const file = candidates.find((candidate) => files.includes(candidate));
    if (!file)
      this.fail(
        entry,
        `component \`${reference}\`: neither ${candidates.join(' nor ')} exists in ${projectPath}`,
      );
    const component = { name: name!, sha: '', version: version!, reference: version! };
    return this.include(project!, projectPath!, file!, inputs, entry, stack, component);
  }

  private fail(entry: IncludeEntry, message: string): never {
    throw new PipelineConfigError([
      { keyPath: entry.keyPath, message, ...(entry.location ? { location: entry.location } : {}) },
    ]);
  }

  private unsupported(entry: IncludeEntry, message: string): never {
    throw new UnsupportedFeatureError([
      { keyPath: entry.keyPath, message, ...(entry.location ? { location: entry.location } : {}) },
    ]);
  }
}

function copyEntries(sourceMap: SourceMap, from: YamlMap, to: YamlMap): void {
  const entries = sourceMap.record(to, sourceMap.locationOf(from) ?? { file: '', line: 0, column: 0 });
  for (const key of Object.keys(to)) {
    const at = sourceMap.entryLocation(from, key);
    if (at) entries.set(key, at);
  }
}
