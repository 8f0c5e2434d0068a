import { readFile, stat } from 'node:fs/promises';
import type { StoredArtifact } from '../history/job-files.js';
import { ArchiveError } from './errors.js';
import { type ExtractReport, ExtractTarget } from './extract-target.js';
import { GzipFormatError, readGzipMembers } from './gzip-members.js';
import { type ArchiveEntry, extractZip, listZip } from './zip-archive.js';

/** Report archives are read whole; the runner's reports are small (dotenv: 5 MB at most). */
const MAX_IN_MEMORY_REPORT = 512 * 1024 * 1024;

/**
 * Lists what a stored artifact holds: the entries of a zip, the files of a gzip report (named by
 * their gzip headers), or the single file of a `raw` report (named after its type).
 */
export async function listArtifact(artifact: StoredArtifact): Promise<ArchiveEntry[]> {
  switch (artifact.format) {
    case 'zip':
      return listZip(artifact.file);
    case 'gzip':
      return (await gzipMembers(artifact)).map(({ name, data, modified }) => ({
        name,
        kind: 'file' as const,
        size: data.length,
        ...(modified ? { modified } : {}),
      }));
    case 'raw':
      return [{ name: artifact.type, kind: 'file', size: artifact.size }];
    default:
      throw unsupported(artifact);
  }
}

/** Extracts a stored artifact's files into `destination` (see ExtractTarget for the safety rules). */
export async function extractArtifact(
  artifact: StoredArtifact,
  destination: string,
  options: { overwrite?: boolean } = {},
): Promise<ExtractReport> {
  const target = await ExtractTarget.open(destination, { archive: artifact.file, ...options });
  switch (artifact.format) {
    case 'zip':
      await extractZip(artifact.file, target);
      break;
    case 'gzip':
      for (const { name, data } of await gzipMembers(artifact)) await target.file(name, data);
      break;
    case 'raw':
      await target.file(artifact.type, await readFile(artifact.file));
      break;
    default:
      throw unsupported(artifact);
  }
  return target.report;
}

/**
 * A member's name: the path the runner archived (its header comment) when that is a plain
 * relative path, so two `report.xml` of different directories stay apart; else its base name;
 * else `<type>` (`<type>.<n>` when there are several).
 */
async function gzipMembers(
  artifact: StoredArtifact,
): Promise<{ name: string; data: Buffer; modified?: Date }[]> {
  const size = (await stat(artifact.file)).size;
  if (size > MAX_IN_MEMORY_REPORT)
    throw new ArchiveError(artifact.file, 'a report archive larger than 512 MiB');
  let members: ReturnType<typeof readGzipMembers>;
  try {
    members = readGzipMembers(await readFile(artifact.file));
  } catch (error) {
    if (error instanceof GzipFormatError) throw new ArchiveError(artifact.file, error.message, error);
    throw error;
  }
  return members.map((member, index) => ({
    name:
      relativePath(member.comment) ??
      (member.name || (members.length === 1 ? artifact.type : `${artifact.type}.${index + 1}`)),
    data: member.data,
    ...(member.modified ? { modified: member.modified } : {}),
  }));
}

function unsupported(artifact: StoredArtifact): ArchiveError {
  return new ArchiveError(
    artifact.file,
    `glci cannot read the "${artifact.format}" format yet (it reads zip, gzip and raw); the file itself is there to use`,
  );
}

function relativePath(candidate: string | undefined): string | undefined {
  if (!candidate || candidate.startsWith('/') || candidate.includes('\\') || candidate.includes('\0'))
    return undefined;
  const normalized = candidate.replace(/^(\.\/)+/, '');
  return normalized && !normalized.split('/').includes('..') ? normalized : undefined;
}
