import { IssueCollector, PipelineConfigError } from '../errors.js';
import { expandText } from '../variables/expand.js';
import { isYamlMap, loadYamlDocuments, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation, SourceMap } from '../yaml/source-map.js';
import { deepMerge } from './deep-merge.js';
import { ExternalIncludes, type IncludedText, type IncludeFrame } from './external-includes.js';
import { type IncludeEntry, readIncludeEntries } from './include-entries.js';
import type { IncludeEnvironment, LoadedFile } from './include-environment.js';
import { gitlabFailure, includeFailure } from './include-failure.js';
import { interpolate } from './interpolate.js';
import { normalizeProjectPath, type ProjectFiles } from './project-files.js';
import { type InputSpec, parseInputSpecs, resolveInputs } from './spec-inputs.js';

/** GitLab's limit on included files in one pipeline (every occurrence counts, nested ones too). */
export const MAX_INCLUDED_FILES = 150;

/** One file on the way from the root to the include being resolved: what a cycle is made of. */
interface StackEntry {
  readonly key: string;
  readonly name: string;
}

/** A file with every include merged in, and what it read, in the order GitLab merges them. */
export interface LoadedContent {
  readonly content: YamlMap;
  readonly specs: InputSpec[];
  readonly files: LoadedFile[];
  readonly warnings: string[];
}

/**
 * Loads one CI file and, recursively, what it includes: local files (with wildcards) in the
 * project that holds the including file, other projects' files and components (a local checkout
 * mapped in the glci config first, then the user's GitLab instance), GitLab's templates and remote
 * files, and, for a dynamic child pipeline, a job's artifact. The entries of one file are resolved
 * at the same time (fetches run in parallel) and merged in the order they are written.
 */
export class IncludeLoader {
  #count = 0;
  readonly #external: ExternalIncludes;

  constructor(
    private readonly sourceMap: SourceMap,
    private readonly environment: IncludeEnvironment,
    root: IncludeFrame,
  ) {
    this.#external = new ExternalIncludes(environment, root);
  }

  async loadFile(
    frame: IncludeFrame,
    text: string,
    givenInputs: Readonly<Record<string, unknown>>,
    includedFrom: SourceLocation | undefined,
    stack: readonly StackEntry[],
    isRoot: boolean,
    component?: Readonly<Record<string, string>>,
    origin?: IncludedText['origin'],
  ): Promise<LoadedContent> {
    const self: LoadedFile = {
      name: frame.name,
      ...(includedFrom ? { includedFrom } : {}),
      ...(origin ? { origin } : {}),
    };
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
    const {
      content,
      specs: _,
      files,
      warnings,
    } = await this.mergeIncludes(entries, body, frame, [...stack, { key: frame.key, name: frame.name }]);
    return { content, specs, files: [self, ...files], warnings };
  }

  /**
   * The includes of one file merged into one map owned here (so a key only one file sets is not
   * copied again), then the file's own content on top.
   */
  async mergeIncludes(
    entries: readonly IncludeEntry[],
    body: YamlMap,
    frame: IncludeFrame,
    stack: readonly StackEntry[],
  ): Promise<LoadedContent> {
    const resolved = await Promise.all(entries.map((entry) => this.resolveEntry(entry, frame, stack)));
    const merged: YamlMap = {};
    const mergedEntries = this.sourceMap.record(
      merged,
      this.sourceMap.locationOf(body) ?? { file: frame.name, line: 1, column: 1 },
    );
    const files: LoadedFile[] = [];
    const warnings: string[] = [];
    for (const loaded of resolved.flat()) {
      files.push(...loaded.files);
      warnings.push(...loaded.warnings);
      for (const [key, value] of Object.entries(loaded.content)) {
        merged[key] = key in merged ? deepMerge(merged[key]!, value, this.sourceMap) : value;
        const at = this.sourceMap.entryLocation(loaded.content, key);
        if (at) mergedEntries.set(key, at);
      }
    }
    const own: YamlMap = {};
    this.sourceMap.alias(own, body);
    for (const [key, value] of Object.entries(body)) if (key !== 'include') own[key] = value;
    copyEntries(this.sourceMap, body, own);
    const content = entries.length > 0 ? (deepMerge(merged, own, this.sourceMap) as YamlMap) : own;
    return { content, specs: [], files, warnings };
  }

  private async resolveEntry(
    entry: IncludeEntry,
    frame: IncludeFrame,
    stack: readonly StackEntry[],
  ): Promise<LoadedContent[]> {
    const where = { keyPath: entry.keyPath, location: entry.location };
    if (
      entry.rules !== undefined &&
      !(await this.environment.evaluateRules(entry.rules, where, frame.project))
    )
      return [];
    const expand = (text: string) => expandText(text, this.environment.variables, { keepUnknown: true });
    const inputs = (entry.inputs ?? {}) as Record<string, unknown>;
    if (entry.kind === 'local') {
      if (!frame.localIncludes)
        throw includeFailure(entry, `Local file \`${this.mask(expand(entry.path))}\` does not have project!`);
      const files = await this.matchLocal(frame.project, expand(entry.path), entry);
      return Promise.all(
        files.map(async (file) => {
          let text: IncludedText | undefined;
          try {
            text = await frame.readText(file);
          } catch (error) {
            throw gitlabFailure(entry, error, {}, (each) => this.mask(each));
          }
          return this.include(
            { ...frame, file, name: frame.nameOf(file), key: `${frame.projectKey}:${file}` },
            text,
            `Local file \`${file}\` does not exist!`,
            inputs,
            entry,
            stack,
          );
        }),
      );
    }
    const fetched = await this.#external.resolve(entry, expand);
    return Promise.all(
      fetched.map((each) =>
        this.include(each.frame, each.text, each.missing, inputs, entry, stack, each.component),
      ),
    );
  }

  /** Includes one file: checks its extension, the include limit and cycles, then loads it. */
  private async include(
    frame: IncludeFrame,
    fetched: IncludedText | undefined,
    missing: string,
    inputs: Readonly<Record<string, unknown>>,
    entry: IncludeEntry,
    stack: readonly StackEntry[],
    component?: Readonly<Record<string, string>>,
  ): Promise<LoadedContent> {
    if (frame.checkExtension && !/\.ya?ml$/i.test(frame.file))
      throw includeFailure(entry, `Included file \`${this.mask(frame.file)}\` does not have YAML extension!`);
    if (stack.some((each) => each.key === frame.key))
      throw includeFailure(entry, `include cycle: ${[...stack, frame].map((each) => each.name).join(' → ')}`);
    if (++this.#count > MAX_INCLUDED_FILES)
      throw includeFailure(entry, `Maximum of ${MAX_INCLUDED_FILES} nested includes are allowed!`);
    if (fetched === undefined) throw includeFailure(entry, this.mask(missing));
    return this.loadFile(
      frame,
      fetched.text,
      inputs,
      entry.location,
      stack,
      false,
      component,
      fetched.origin,
    );
  }

  /** `include:local` with `*` (within a directory) and `**` (across directories), as GitLab matches them. */
  private async matchLocal(project: ProjectFiles, path: string, entry: IncludeEntry): Promise<string[]> {
    const normalized = normalizeProjectPath(path);
    if (normalized === undefined)
      throw includeFailure(entry, `Local file \`${this.mask(path)}\` is outside the project`);
    if (!normalized.includes('*')) return [normalized];
    if (project.match) {
      const matches = await project.match(normalized);
      if (matches.length === 0)
        throw includeFailure(entry, `Local file \`${this.mask(normalized)}\` does not exist!`);
      return matches;
    }
    const pattern = new RegExp(
      `^${normalized
        .split(/(\*\*|\*)/)
        .map((part) =>
          part === '**' ? '.*?' : part === '*' ? '[^/]*?' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}$`,
    );
    const matches = (await project.list()).filter((file) => pattern.test(file));
    if (matches.length === 0)
      throw includeFailure(entry, `Local file \`${this.mask(normalized)}\` does not exist!`);
    return matches;
  }

  private mask(text: string): string {
    return this.environment.mask ? this.environment.mask(text) : text;
  }

  /** What the external resolution noticed (a local checkout read as it is, a stale cached file). */
  get warnings(): readonly string[] {
    return this.#external.warnings;
  }
}

function copyEntries(sourceMap: SourceMap, from: YamlMap, to: YamlMap): void {
  const entries = sourceMap.record(to, sourceMap.locationOf(from) ?? { file: '', line: 0, column: 0 });
  for (const key of Object.keys(to)) {
    const at = sourceMap.entryLocation(from, key);
    if (at) entries.set(key, at);
  }
}
