import { createHash } from 'node:crypto';
import { InvalidReferenceError } from '../errors.js';

/**
 * `integrity:` of an `include:remote`: a Subresource Integrity value with a sha256 hash
 * (`sha256-<base64>`), the only algorithm GitLab accepts there.
 */
export function parseIntegrity(value: string): { readonly algorithm: 'sha256'; readonly digest: Buffer } {
  const match = /^sha256-([A-Za-z0-9+/]+={0,2})$/.exec(value.trim());
  const digest = match ? Buffer.from(match[1]!, 'base64') : undefined;
  if (!digest || digest.length !== 32) {
    throw new InvalidReferenceError(
      `integrity \`${value}\` is not a sha256 hash`,
      "write it as sha256- followed by the base64 of the file's SHA-256, e.g. from `openssl dgst -sha256 -binary FILE | base64`",
    );
  }
  return { algorithm: 'sha256', digest };
}

/** `sha256-<base64>` of some content: the integrity a file has. */
export function integrityOf(content: string | Buffer): string {
  return `sha256-${createHash('sha256').update(content).digest('base64')}`;
}
