import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExtractConflictError, UnsafeEntryError } from './errors.js';

export interface ExtractTargetOptions {
  /** The archive being extracted, for error messages. */
  readonly archive: string;
  /** Replace files that already exist (default: refuse). */
  readonly overwrite?: boolean;
}

/** What an extraction wrote and what it left out. */
export interface ExtractReport {
  readonly written: readonly string[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * A destination directory that only accepts paths inside it. Every entry is checked before
 * anything is written: no absolute path, no `..`, no backslash or NUL; then the real path of the
 * directory it lands in (after creating it) must still be inside the destination, which catches
 * a symlink planted earlier (by the archive or already there) that points elsewhere. Symlinks from
 * the archive are created only when their target stays inside too; others are skipped and
 * reported. Files are opened with O_EXCL, so nothing is written through an existing link.
 */
export class ExtractTarget {
  readonly root: string;
  readonly #archive: string;
  readonly #overwrite: boolean;
  readonly #written: string[] = [];
  readonly #skipped: { name: string; reason: string }[] = [];

  private constructor(root: string, options: ExtractTargetOptions) {
    this.root = root;
    this.#archive = options.archive;
    this.#overwrite = options.overwrite ?? false;
  }

  /** Creates the destination if needed. */
  static async open(destination: string, options: ExtractTargetOptions): Promise<ExtractTarget> {
    await mkdir(destination, { recursive: true });
    return new ExtractTarget(await realpath(destination), options);
  }

  get report(): ExtractReport {
    return { written: [...this.#written], skipped: [...this.#skipped] };
  }

  async directory(name: string, mode?: number): Promise<void> {
    const target = this.#resolve(name);
    await this.#ensureInside(name, target, true, mode);
  }

  async file(name: string, content: Readable | Uint8Array, mode?: number): Promise<void> {
    const target = this.#resolve(name);
    await this.#ensureInside(name, path.dirname(target), true);
    await this.#makeRoom(target);
    const source = content instanceof Uint8Array ? Readable.from([content]) : content;
    // O_EXCL: never follow a link that appeared in the meantime.
    await pipeline(source, createWriteStream(target, { flags: 'wx', mode: fileMode(mode) }));
    this.#written.push(name);
  }

  async symlink(name: string, linkTarget: string): Promise<void> {
    const target = this.#resolve(name);
    if (path.isAbsolute(linkTarget) || linkTarget.includes('\0')) {
      this.#skipped.push({ name, reason: `symlink to the absolute path ${linkTarget}` });
      return;
    }
    const pointsTo = path.resolve(path.dirname(target), linkTarget);
    if (!isInside(this.root, pointsTo)) {
      this.#skipped.push({ name, reason: `symlink to ${linkTarget}, outside the destination` });
      return;
    }
    await this.#ensureInside(name, path.dirname(target), true);
    await this.#makeRoom(target);
    await symlink(linkTarget, target);
    this.#written.push(name);
  }

  /** The absolute path of an entry name, after the lexical checks. */
  #resolve(name: string): string {
    const refuse = (reason: string) => new UnsafeEntryError(this.#archive, name, reason);
    if (name === '' || name.includes('\0')) throw refuse('an empty name or a NUL byte');
    if (name.includes('\\')) throw refuse('a backslash in the name');
    if (path.posix.isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw refuse('an absolute path');
    if (name.split('/').includes('..')) throw refuse('a ".." component');
    const target = path.resolve(this.root, name);
    if (!isInside(this.root, target)) throw refuse('a path outside the destination');
    return target;
  }

  /** Creates `directory` and checks where it really is. */
  async #ensureInside(name: string, directory: string, create: boolean, mode?: number): Promise<void> {
    if (create) await mkdir(directory, { recursive: true, mode: directoryMode(mode) });
    const real = await realpath(directory);
    if (!isInside(this.root, real)) {
      throw new UnsafeEntryError(this.#archive, name, `its directory resolves to ${real} through a symlink`);
    }
  }

  async #makeRoom(target: string): Promise<void> {
    const existing = await lstat(target).catch(() => undefined);
    if (!existing) return;
    if (!this.#overwrite || existing.isDirectory()) throw new ExtractConflictError(target);
    await unlink(target);
  }
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/** The archive's permission bits, without set-id or sticky bits, always readable by the owner. */
function fileMode(mode: number | undefined): number {
  return mode === undefined ? 0o644 : (mode & 0o777) | 0o600;
}

function directoryMode(mode: number | undefined): number {
  return mode === undefined ? 0o755 : (mode & 0o777) | 0o700;
}
