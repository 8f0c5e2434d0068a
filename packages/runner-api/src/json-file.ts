import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * One JSON document on disk, replaced atomically (temporary file, fsync, rename), so a crash or a
 * kill leaves either the old or the new document, never a torn one. Synchronous: the stores call
 * it inside their own synchronous updates, and the documents are small (job and runner records).
 */
export class JsonFile<T> {
  readonly path: string;

  constructor(file: string) {
    this.path = file;
  }

  /** The saved document, or undefined when there is none yet. A corrupt file throws, naming it. */
  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`${this.path}: not valid JSON (${(error as Error).message})`);
    }
  }

  save(value: T): void {
    mkdirSync(path.dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
