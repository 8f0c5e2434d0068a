import { formatDuration, formatSize } from '@glci/config';
import { IncludeCache } from '../cache/include-cache.js';
import type { GitlabInstance } from '../instance.js';
import type { AccessReport, Readable } from './check-access.js';

/** `glci config --gitlab`: the resolved instance and where each part came from; never the token. */
export interface GitlabDescription {
  readonly instance: { readonly url: string; readonly source: string; readonly fqdn: string };
  readonly token:
    | { readonly present: false }
    | { readonly present: true; readonly source: string; readonly header: string };
  /** The project the working directory's `origin` remote names on this instance. */
  readonly project: string | undefined;
  /** How project files are fetched: the REST API (with a token), or git with the user's own access. */
  readonly access: 'api' | 'git';
  readonly caFile: string | undefined;
  readonly timeoutMs: number;
  readonly secretsTtlMs: number;
  readonly includesTtlMs: number;
  readonly concurrency: number;
  readonly remoteMaxSize: number;
  readonly includeCache: string;
  readonly check?: AccessReport;
}

const URL_SOURCES = {
  env: 'from GITLAB_URL',
  config: 'from [gitlab] url',
  origin: 'from the origin remote',
  default: 'the default: no GITLAB_URL, [gitlab] url or GitLab origin remote',
} as const;

export function describeGitlab(
  instance: GitlabInstance,
  glciHome: string,
  check?: AccessReport,
): GitlabDescription {
  return {
    instance: { url: instance.url, source: URL_SOURCES[instance.urlSource.kind], fqdn: instance.fqdn },
    token: instance.token
      ? {
          present: true,
          source: instance.token.describeSource(),
          header: instance.token.scheme === 'oauth' ? 'Authorization: Bearer' : 'PRIVATE-TOKEN',
        }
      : { present: false },
    project: instance.origin?.projectPath,
    access: instance.token ? 'api' : 'git',
    caFile: instance.caFile,
    timeoutMs: instance.timeoutMs,
    secretsTtlMs: instance.secretsTtlMs,
    includesTtlMs: instance.includesTtlMs,
    concurrency: instance.concurrency,
    remoteMaxSize: instance.remoteMaxSize,
    includeCache: new IncludeCache(glciHome, instance.url).root,
    ...(check ? { check } : {}),
  };
}

/** Whether a `--check` found the instance usable: it answered, and took the token if there is one. */
export function checkPassed(description: GitlabDescription): boolean {
  const check = description.check;
  return check?.reachable === true && check.tokenAccepted !== false && check.project?.visible !== false;
}

export function formatGitlabText(description: GitlabDescription): string {
  const rows: [string, string][] = [
    ['instance', `${description.instance.url} (${description.instance.source})`],
    [
      'token',
      description.token.present
        ? `from ${description.token.source}, sent as ${description.token.header}`
        : 'none (set GITLAB_TOKEN for private projects, CI/CD variables and the API)',
    ],
    ['project', description.project ?? '(the origin remote names no project on this instance)'],
    [
      'project files',
      description.access === 'api'
        ? 'through the REST API'
        : 'through git, with your own git access (ssh keys, credential helper)',
    ],
    ['ca file', description.caFile ?? '(system CAs)'],
    ['timeout', formatDuration(description.timeoutMs)],
    [
      'secrets ttl',
      description.secretsTtlMs === 0 ? '0 (fetched every time)' : formatDuration(description.secretsTtlMs),
    ],
    [
      'includes ttl',
      description.includesTtlMs === 0
        ? '0 (moving refs asked for every time)'
        : `${formatDuration(description.includesTtlMs)} (moving refs: branches, ~latest, templates, remote files)`,
    ],
    ['concurrency', String(description.concurrency)],
    ['remote max size', formatSize(description.remoteMaxSize)],
    ['include cache', description.includeCache],
  ];
  if (description.check) rows.push(...checkRows(description.check));
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return `${rows.map(([label, value]) => `${label.padEnd(width)}${value}`).join('\n')}\n`;
}

function checkRows(check: AccessReport): [string, string][] {
  if (!check.reachable) return [['check', `FAILED: ${check.problem ?? 'the instance did not answer'}`]];
  if (check.tokenAccepted === false)
    return [['check', `FAILED: ${check.problem ?? 'the token was refused'}`]];
  const rows: [string, string][] = [
    ['check', `ok: the instance answers${check.version ? ` (GitLab ${check.version})` : ''}`],
  ];
  if (check.user)
    rows.push([
      'user',
      `${check.user.username}${check.user.bot ? ' (a bot: project or group access token)' : ''}`,
    ]);
  if (check.scopes) {
    const expiry = check.expiresAt ? `, expires ${check.expiresAt}` : '';
    rows.push([
      'token scopes',
      `${check.scopes.join(', ') || '(none)'}${check.tokenName ? ` (${check.tokenName}${expiry})` : ''}`,
    ]);
  }
  const project = check.project;
  if (project) {
    if (!project.visible) {
      rows.push([`project ${project.path}`, `FAILED: ${project.problem ?? 'not visible'}`]);
    } else {
      rows.push([`project ${project.path}`, `visible, role ${project.role ?? 'none'}`]);
      rows.push(['  repository', readable(project.repository)]);
      rows.push(['  CI/CD variables', readable(project.variables)]);
      rows.push(['  protected refs', readable(project.protectedRefs)]);
      for (const group of project.groupVariables ?? [])
        rows.push([`  group ${group.group} variables`, readable(group.access)]);
      rows.push(['  instance variables', readable(project.instanceVariables)]);
    }
  }
  return rows;
}

function readable(access: Readable | undefined): string {
  if (!access) return 'not checked';
  if (access.ok) return 'readable';
  return `not readable (${access.status || access.detail})`;
}
