/**
 * Content digests as the OCI spec defines them: `algorithm:encoded`. sha256 and sha512 are
 * supported; encoded parts are lowercase hex of the exact length.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** `algorithm:hex`. */
  toString(): string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
/** The spec's grammar, then narrowed to the algorithms registered here. */
const DIGEST_PATTERN = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export class DigestFormatError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`invalid digest ${JSON.stringify(value.slice(0, 200))}: ${reason}`);
    this.name = 'DigestFormatError';
  }
}

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return value === 'sha256' || value === 'sha512';
}

/** Parses and validates `sha256:<64 hex>` / `sha512:<128 hex>`; throws `DigestFormatError`. */
export function parseDigest(value: string): Digest {
  const match = DIGEST_PATTERN.exec(value);
  if (!match) throw new DigestFormatError(value, 'expected algorithm:hex');
  const [, algorithm, hex] = match as unknown as [string, string, string];
  if (!isDigestAlgorithm(algorithm)) throw new DigestFormatError(value, `unsupported algorithm ${algorithm}`);
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) {
    throw new DigestFormatError(
      value,
      `${algorithm} needs ${HEX_LENGTH[algorithm]} lowercase hex characters`,
    );
  }
  return makeDigest(algorithm, hex);
}

export function makeDigest(algorithm: DigestAlgorithm, hex: string): Digest {
  const text = `${algorithm}:${hex}`;
  return Object.freeze({ algorithm, hex, toString: () => text });
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}
