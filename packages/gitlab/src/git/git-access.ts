import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@glci/config';
import { GitAccessError, type RequestSubject } from '../errors.js';
import type { GitlabToken } from '../token.js';

export interface GitAccessOptions {
  /** Where the bare repositories live (`$GLCI_HOME/includes/<instance>/git`). */
  readonly root: string;
  /** The git URL of a project, with the `origin` remote's transport (ssh or https). */
  readonly gitUrlFor: (project: string) => string;
  /** Trusted for HTTPS (`[gitlab] ca_file`). */
  readonly caFile?: string | undefined;
  /**
   * A token sent as HTTP Basic credentials (for cloning with the token); unset means the user's own
   * access: ssh keys, or git's credential helper for HTTPS.
   */
  readonly token?: GitlabToken | undefined;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** The environment git runs in (default `process.env`: the user's own git configuration). */
  readonly env?: NodeJS.ProcessEnv;
}

/** An abbreviated commit SHA, as GitLab accepts for a component's version or a ref. */
const SHORT_SHA = /^[0-9a-f]{7,39}$/;

/**
 * The one commit a branch or tag points at whose SHA starts with `prefix`. git's protocol lets a
 * client ask only for refs, never for objects by prefix, so a short SHA of any other commit cannot
 * be resolved without the API.
 */
function uniqueTipStartingWith(refs: ReadonlyMap<string, string>, prefix: string): string | undefined {
  const matches = new Set([...refs.values()].filter((sha) => sha.startsWith(prefix)));
  return matches.size === 1 ? [...matches][0] : undefined;
}

export interface RemoteRef {
  readonly sha: string;
  readonly kind: 'tag' | 'branch' | 'commit' | 'default-branch';
}

/**
 * Project files through git, the way gitlab-ci-local gets them when there is no token: `git
 * ls-remote` to resolve a ref, then a shallow, blob-less fetch of that one commit into a bare
 * repository under the cache, whose blobs git fetches lazily when a file is read. The user's own
 * git configuration applies (credential helpers, ssh keys, `insteadOf`); git never prompts.
 */
export class GitProjectAccess {
  readonly #log: Logger;
  /** One operation at a time per repository: git locks `shallow` and the object store while fetching. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #fetched = new Set<string>();

  constructor(private readonly options: GitAccessOptions) {
    this.#log = options.logger.child({ module: 'gitlab-git' });
  }

  /** A branch, tag, full SHA or `HEAD` (the default branch) of a project. */
  async resolveRef(project: string, ref: string | undefined): Promise<RemoteRef> {
    if (ref && /^[0-9a-f]{40}$/.test(ref)) return { sha: ref, kind: 'commit' };
    const refs = await this.listRemoteRefs(project, { what: 'ref', project, ref: ref ?? 'HEAD' });
    if (ref === undefined || ref === 'HEAD') {
      const head = refs.get('HEAD');
      if (head) return { sha: head, kind: 'default-branch' };
    } else {
      const tag = refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`);
      if (tag) return { sha: tag, kind: 'tag' };
      const branch = refs.get(`refs/heads/${ref}`);
      if (branch) return { sha: branch, kind: 'branch' };
      const tip = SHORT_SHA.test(ref) ? uniqueTipStartingWith(refs, ref) : undefined;
      if (tip) return { sha: tip, kind: 'commit' };
    }
    throw new GitAccessError(
      { what: 'ref', project, ref: ref ?? 'HEAD' },
      this.options.gitUrlFor(project),
      SHORT_SHA.test(ref ?? '')
        ? 'git can look a short SHA up only among the commits branches and tags point at, and none of them (or more than one) starts with it; write the full SHA, or set GITLAB_TOKEN'
        : 'no such branch or tag',
    );
  }

  /** The project's tags and the commits they point at (annotated tags peeled). */
  async listTags(project: string): Promise<{ tag: string; sha: string }[]> {
    const refs = await this.listRemoteRefs(project, { what: 'tags', project });
    const tags = new Map<string, string>();
    for (const [name, sha] of refs) {
      if (!name.startsWith('refs/tags/')) continue;
      const tag = name.slice('refs/tags/'.length).replace(/\^\{\}$/, '');
      if (name.endsWith('^{}') || !tags.has(tag)) tags.set(tag, sha);
    }
    return [...tags].map(([tag, sha]) => ({ tag, sha }));
  }

  /** A file at a commit; `undefined` when the commit has no such file. */
  async readFile(project: string, sha: string, file: string): Promise<string | undefined> {
    const subject = { what: `file ${file}`, project, ref: sha };
    const repo = await this.#ensureCommit(project, sha, subject);
    return this.#serial(repo, async () => {
      const type = await this.#git(['cat-file', '-t', `${sha}:${file}`], repo, subject, {
        allowFailure: true,
      });
      if (type.code !== 0 || type.stdout.trim() !== 'blob') return undefined;
      return (await this.#git(['cat-file', 'blob', `${sha}:${file}`], repo, subject)).stdout;
    });
  }

  /** Every file under `dir` (all of them when empty) at a commit. */
  async listTree(project: string, sha: string, dir: string): Promise<string[]> {
    const subject = { what: dir ? `tree ${dir}/` : 'repository tree', project, ref: sha };
    const repo = await this.#ensureCommit(project, sha, subject);
    return this.#serial(repo, async () => {
      const result = await this.#git(
        ['ls-tree', '-r', '-z', '--name-only', sha, ...(dir ? ['--', `${dir}/`] : [])],
        repo,
        subject,
      );
      return result.stdout.split('\0').filter(Boolean);
    });
  }

  /**
   * A working tree of a branch (the default branch when `undefined`) in `dir`, one commit deep: a
   * fresh clone the first time, then fetched and checked out again. For a `trigger: project:`
   * pipeline whose project has no local checkout.
   */
  async checkout(project: string, branch: string | undefined, dir: string): Promise<void> {
    const subject = { what: 'checkout', project, ref: branch ?? 'HEAD' };
    await this.#serial(dir, async () => {
      if (!existsSync(path.join(dir, '.git'))) {
        await mkdir(path.dirname(dir), { recursive: true });
        await this.#git(
          [
            'clone',
            '--quiet',
            '--depth=1',
            ...(branch ? ['--branch', branch] : []),
            this.options.gitUrlFor(project),
            dir,
          ],
          undefined,
          subject,
        );
        return;
      }
      // The default branch by its name, so that the pipeline's ref is that branch.
      const name =
        branch ??
        /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(
          (await this.#git(['ls-remote', '--symref', 'origin', 'HEAD'], dir, subject)).stdout,
        )?.[1] ??
        'HEAD';
      await this.#git(['fetch', '--quiet', '--depth=1', 'origin', name], dir, subject);
      await this.#git(['checkout', '--quiet', '--force', '-B', name, 'FETCH_HEAD'], dir, subject);
      await this.#git(['clean', '--quiet', '-d', '--force'], dir, subject);
    });
  }

  async listRemoteRefs(project: string, subject: RequestSubject): Promise<Map<string, string>> {
    const result = await this.#git(['ls-remote', this.options.gitUrlFor(project)], undefined, subject);
    const refs = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const [sha, name] = line.split('\t');
      if (sha && name) refs.set(name, sha);
    }
    return refs;
  }

  async #ensureCommit(project: string, sha: string, subject: RequestSubject): Promise<string> {
    const repo = path.join(this.options.root, `${encodeURIComponent(project)}.git`);
    const key = `${repo}\0${sha}`;
    if (this.#fetched.has(key)) return repo;
    await this.#serial(repo, async () => {
      if (!existsSync(path.join(repo, 'HEAD'))) {
        await mkdir(repo, { recursive: true });
        await this.#git(['init', '--quiet', '--bare'], repo, subject);
        for (const [key, value] of [
          ['remote.origin.url', this.options.gitUrlFor(project)],
          ['remote.origin.promisor', 'true'],
          ['remote.origin.partialclonefilter', 'blob:none'],
          ['extensions.partialClone', 'origin'],
        ] as const) {
          await this.#git(['config', key, value], repo, subject);
        }
      }
      const present = await this.#git(['cat-file', '-e', `${sha}^{commit}`], repo, subject, {
        allowFailure: true,
      });
      if (present.code === 0) return;
      this.#log.debug('fetching commit', { project, sha });
      await this.#git(
        ['fetch', '--quiet', '--no-tags', '--depth=1', '--filter=blob:none', 'origin', sha],
        repo,
        subject,
      );
    });
    this.#fetched.add(key);
    return repo;
  }

  #serial<T>(repo: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(repo) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#queues.set(
      repo,
      next.catch(() => undefined),
    );
    return next;
  }

  #git(
    args: readonly string[],
    cwd: string | undefined,
    subject: RequestSubject,
    options: { allowFailure?: boolean } = {},
  ): Promise<{ code: number; stdout: string }> {
    const credentials = this.options.token?.password();
    const config = [
      // The token stays out of argv (and `ps`): the helper reads it from the environment.
      ...(credentials
        ? [
            '-c',
            'credential.helper=',
            '-c',
            'credential.helper=!f() { echo "username=$GLCI_GIT_USERNAME"; echo "password=$GLCI_GIT_PASSWORD"; }; f',
          ]
        : []),
    ];
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        [...config, ...args],
        {
          cwd,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          timeout: this.options.timeoutMs * 4,
          env: {
            ...(this.options.env ?? process.env),
            LC_ALL: 'C',
            GIT_TERMINAL_PROMPT: '0',
            // The instance's CA; the variable, because it outranks http.sslCAInfo and may already be set.
            ...(this.options.caFile ? { GIT_SSL_CAINFO: this.options.caFile } : {}),
            ...(credentials
              ? { GLCI_GIT_USERNAME: credentials.username, GLCI_GIT_PASSWORD: credentials.password }
              : {}),
          },
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          if (code === 0 || options.allowFailure) {
            resolve({ code, stdout });
            return;
          }
          const reason =
            stderr
              .split('\n')
              .map((line) => line.trim())
              .filter(Boolean)
              .at(-1) ?? (error?.killed ? 'timed out' : (error?.message ?? `exit ${code}`));
          reject(
            new GitAccessError(
              subject,
              this.options.gitUrlFor(subject.project ?? ''),
              redact(reason, this.options.token),
            ),
          );
        },
      );
    });
  }
}

function redact(text: string, token: GitlabToken | undefined): string {
  return token?.occursIn(text) ? '<redacted>' : text;
}
