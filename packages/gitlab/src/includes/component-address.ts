import { InvalidReferenceError } from '../errors.js';
import { isProjectPath } from '../origin-remote.js';

/** `<fqdn>/<project path>/<component name>@<version>`, as `include:component` names a component. */
export interface ComponentAddress {
  /** `host[:port]` of the instance, e.g. `gitlab.example.com`. */
  readonly host: string;
  readonly project: string;
  readonly name: string;
  readonly version: string;
  /** The address as written (after variables were expanded). */
  readonly address: string;
}

/** What a component version asks for, in the order GitLab tries (Ci::Components::InstancePath). */
export type VersionKind =
  | { readonly kind: 'latest' }
  | { readonly kind: 'partial-semver'; readonly major: number; readonly minor: number | undefined }
  | { readonly kind: 'sha'; readonly sha: string }
  /** A released tag, else any tag, branch or short SHA. */
  | { readonly kind: 'ref'; readonly ref: string };

export const LATEST = '~latest';
const SHORTHAND_SEMVER = /^\d+(\.\d+)?$/;

/**
 * Splits an address at the last `/` before the `@` (the component name) and the first `@` (the
 * version), as GitLab does: the project is everything between the host and the name.
 */
export function parseComponentAddress(address: string): ComponentAddress {
  const at = address.indexOf('@');
  const path = at < 0 ? address : address.slice(0, at);
  const version = at < 0 ? '' : address.slice(at + 1);
  const segments = path.split('/');
  const host = segments[0] ?? '';
  const project = segments.slice(1, -1).join('/');
  const name = segments.at(-1) ?? '';
  if (
    !version ||
    segments.length < 4 ||
    !host ||
    !isProjectPath(project) ||
    !/^[A-Za-z0-9_.-]+$/.test(name)
  ) {
    throw new InvalidReferenceError(
      `component \`${address}\` is not a component address`,
      'write it as <fqdn>/<project path>/<component name>@<version>, e.g. $CI_SERVER_FQDN/my-org/components/build@1.0.0',
    );
  }
  return { host, project, name, version, address };
}

export function versionKind(version: string): VersionKind {
  if (version === LATEST) return { kind: 'latest' };
  if (SHORTHAND_SEMVER.test(version)) {
    const [major, minor] = version.split('.').map(Number);
    return { kind: 'partial-semver', major: major!, minor };
  }
  if (/^[0-9a-f]{40}$/.test(version)) return { kind: 'sha', sha: version };
  return { kind: 'ref', ref: version };
}

/** The files GitLab looks for, in its order (Ci::Catalog::ComponentsProject#fetch_component). */
export function componentFileCandidates(name: string): readonly string[] {
  return [`templates/${name}.yml`, `templates/${name}/template.yml`];
}
