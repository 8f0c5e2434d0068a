import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Environment, Logger } from '@glci/config';
import type { RegistryAuth } from './orchestrator.js';

/** The key Docker uses for Docker Hub in `config.json`. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** The registry host of an image reference (`docker.io` when the reference names none). */
export function registryHost(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost ? first : 'docker.io';
}

/** Adds `:latest` when a reference has neither tag nor digest. */
export function normalizeImageReference(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/**
 * The credential for `image`'s registry from `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`), as `docker login` stores it in `auths`. Credential helpers
 * (`credsStore`, `credHelpers`) are not run; such registries are pulled anonymously.
 */
export function dockerConfigAuth(
  image: string,
  options: { env?: Environment; home?: string; logger?: Logger } = {},
): RegistryAuth | undefined {
  const env = options.env ?? process.env;
  const directory = env.DOCKER_CONFIG ?? path.join(options.home ?? os.homedir(), '.docker');
  let config: DockerConfigFile;
  try {
    config = JSON.parse(readFileSync(path.join(directory, 'config.json'), 'utf8')) as DockerConfigFile;
  } catch {
    return undefined;
  }
  const host = registryHost(image);
  const wanted = host === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [host];
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (!wanted.includes(authKeyHost(key))) continue;
    const serveraddress = host === 'docker.io' ? DOCKER_HUB_AUTH_KEY : host;
    if (entry.identitytoken) return { serveraddress, identitytoken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { serveraddress, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password)
      return { serveraddress, username: entry.username, password: entry.password };
  }
  if (config.credHelpers?.[host] || config.credsStore) {
    options.logger?.debug('registry credentials are in a credential helper, which glci does not run', {
      registry: host,
    });
  }
  return undefined;
}

/** `https://index.docker.io/v1/` → `index.docker.io`, `127.0.0.1:5000` → `127.0.0.1:5000`. */
function authKeyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}
