/** The base of every error reading or extracting an artifact archive. */
export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

/** The archive cannot be read: not a zip, truncated, an unsupported format. */
export class ArchiveError extends ArtifactError {
  override name = 'ArchiveError';
  constructor(
    readonly file: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`${file}: ${reason}`, cause === undefined ? undefined : { cause });
  }
}

/** An entry whose name would write outside the destination (`../x`, `/etc/x`, through a symlink). */
export class UnsafeEntryError extends ArtifactError {
  override name = 'UnsafeEntryError';
  constructor(
    readonly file: string,
    readonly entry: string,
    readonly reason: string,
  ) {
    super(
      `refusing entry ${JSON.stringify(entry)} of ${file}: ${reason}; every entry must stay inside the destination directory`,
    );
  }
}

/** Extraction would replace an existing file, and replacing was not asked for. */
export class ExtractConflictError extends ArtifactError {
  override name = 'ExtractConflictError';
  constructor(readonly path: string) {
    super(`${path} already exists (extract into an empty directory, or pass --force to replace files)`);
  }
}
