import { type Digest, parseDigest } from '../digest.js';
import { ManifestInvalidError } from '../errors.js';
import { baseMediaType, MediaType } from '../media-types.js';
import type { Descriptor } from './contracts.js';

/** What the manifest store needs to know about a manifest it accepted. */
export interface ParsedManifest {
  readonly mediaType: string;
  /** `artifactType`, or for an image manifest without one, its config's media type (the spec's rule). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Blobs that must exist in the repository (config, layers; foreign layers with `urls` excepted). */
  readonly blobs: readonly Descriptor[];
  /** Manifests that must exist in the repository (an index's children). */
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
}

type Json = Record<string, unknown>;

/**
 * Parses and validates a pushed manifest: JSON, a known media type that agrees with the manifest's
 * own `mediaType` field, `schemaVersion: 2`, and well-formed descriptors. Throws
 * `ManifestInvalidError` with the reason; knows nothing of storage.
 */
export function parseManifest(content: Uint8Array, contentType: string | undefined): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(content).toString('utf8'));
  } catch (error) {
    throw new ManifestInvalidError(`manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw new ManifestInvalidError('manifest must be a JSON object');

  const declared = json.mediaType;
  if (declared !== undefined && typeof declared !== 'string') {
    throw new ManifestInvalidError('mediaType must be a string');
  }
  const given = contentType ? baseMediaType(contentType) : '';
  const mediaType = resolveMediaType(json, declared, given);
  if (mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed) {
    throw new ManifestInvalidError('Docker schema 1 manifests are not supported; push schema 2 or OCI');
  }
  if (json.schemaVersion !== 2 && mediaType !== MediaType.ociArtifactManifest) {
    throw new ManifestInvalidError('schemaVersion must be 2');
  }

  const artifactType = optionalString(json, 'artifactType');
  const annotations = optionalAnnotations(json, 'annotations');
  const subject = json.subject === undefined ? undefined : descriptor(json.subject, 'subject');

  switch (mediaType) {
    case MediaType.ociManifest:
    case MediaType.dockerManifest: {
      const config = descriptor(json.config, 'config');
      const layers = descriptorList(json.layers, 'layers');
      if (mediaType === MediaType.dockerManifest && (artifactType !== undefined || subject !== undefined)) {
        throw new ManifestInvalidError('Docker schema 2 manifests cannot carry artifactType or subject');
      }
      return {
        mediaType,
        ...withArtifactType(artifactType ?? config.mediaType),
        ...(annotations ? { annotations } : {}),
        blobs: [config, ...layers.filter((layer) => !isForeign(layer))],
        manifests: [],
        ...(subject ? { subject } : {}),
      };
    }
    case MediaType.ociIndex:
    case MediaType.dockerManifestList: {
      const manifests = descriptorList(json.manifests, 'manifests');
      if (
        mediaType === MediaType.dockerManifestList &&
        (artifactType !== undefined || subject !== undefined)
      ) {
        throw new ManifestInvalidError('Docker manifest lists cannot carry artifactType or subject');
      }
      return {
        mediaType,
        ...withArtifactType(artifactType),
        ...(annotations ? { annotations } : {}),
        blobs: [],
        manifests,
        ...(subject ? { subject } : {}),
      };
    }
    case MediaType.ociArtifactManifest: {
      if (artifactType === undefined)
        throw new ManifestInvalidError('an artifact manifest needs artifactType');
      const blobs = json.blobs === undefined ? [] : descriptorList(json.blobs, 'blobs');
      return {
        mediaType,
        artifactType,
        ...(annotations ? { annotations } : {}),
        blobs,
        manifests: [],
        ...(subject ? { subject } : {}),
      };
    }
    default:
      throw new ManifestInvalidError(
        `unsupported manifest media type ${JSON.stringify(mediaType.slice(0, 200))}`,
      );
  }
}

function resolveMediaType(json: Json, declared: string | undefined, given: string): string {
  if (declared !== undefined && given !== '' && declared !== given) {
    throw new ManifestInvalidError(
      `Content-Type ${given} does not match the manifest's mediaType ${declared}`,
    );
  }
  if (declared !== undefined) return declared;
  // A generic or missing Content-Type: infer from the shape, as clients that omit both expect.
  if (given !== '' && given !== 'application/json' && given !== MediaType.octetStream) return given;
  if (Array.isArray(json.manifests)) return MediaType.ociIndex;
  if (isObject(json.config) || Array.isArray(json.layers)) return MediaType.ociManifest;
  throw new ManifestInvalidError('cannot tell the manifest media type: set Content-Type or mediaType');
}

function withArtifactType(value: string | undefined): { artifactType?: string } {
  return value === undefined ? {} : { artifactType: value };
}

/** Non-distributable layers (Windows base layers) point elsewhere with `urls`; nothing to check here. */
function isForeign(layer: Descriptor & { urls?: unknown }): boolean {
  return Array.isArray(layer.urls) && layer.urls.length > 0;
}

function descriptor(value: unknown, where: string): Descriptor & { urls?: unknown } {
  if (!isObject(value)) throw new ManifestInvalidError(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType.length === 0 || mediaType.length > 255) {
    throw new ManifestInvalidError(`${where}.mediaType must be a media type`);
  }
  if (typeof digest !== 'string') throw new ManifestInvalidError(`${where}.digest must be a digest`);
  let parsed: Digest;
  try {
    parsed = parseDigest(digest);
  } catch (error) {
    throw new ManifestInvalidError(`${where}.digest: ${(error as Error).message}`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestInvalidError(`${where}.size must be a non-negative integer`);
  }
  const artifactType = optionalString(value, 'artifactType', where);
  const annotations = optionalAnnotations(value, 'annotations', where);
  return {
    mediaType,
    digest: parsed,
    size,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(annotations ? { annotations } : {}),
    ...(value.urls !== undefined ? { urls: value.urls } : {}),
  };
}

function descriptorList(value: unknown, where: string): Array<Descriptor & { urls?: unknown }> {
  if (!Array.isArray(value)) throw new ManifestInvalidError(`${where} must be an array of descriptors`);
  return value.map((item, index) => descriptor(item, `${where}[${index}]`));
}

function optionalString(json: Json, key: string, where?: string): string | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new ManifestInvalidError(`${where ? `${where}.` : ''}${key} must be a string`);
  return value;
}

function optionalAnnotations(json: Json, key: string, where?: string): Record<string, string> | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (!isObject(value) || Object.values(value).some((entry) => typeof entry !== 'string')) {
    throw new ManifestInvalidError(`${where ? `${where}.` : ''}${key} must map strings to strings`);
  }
  return value as Record<string, string>;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
