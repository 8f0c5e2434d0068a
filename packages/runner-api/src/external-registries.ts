/**
 * Credentials of the registries jobs use instead of the embedded one (`[registry] url`,
 * `glci run --registry`), by `host[:port]`. Kept in memory only: a job spec names the registry
 * (`external_registry.host`), never its password, because job specs are saved with the mock's
 * state on disk. The daemon sets them before it queues a pipeline's jobs, so a restarted mock
 * learns them again from the next pipeline.
 */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export class ExternalRegistries {
  readonly #credentials = new Map<string, RegistryCredentials>();

  /** Sets (or, without credentials, forgets) what jobs log in to `host` with. */
  set(host: string, credentials: RegistryCredentials | undefined): void {
    if (credentials) this.#credentials.set(host, credentials);
    else this.#credentials.delete(host);
  }

  get(host: string): RegistryCredentials | undefined {
    return this.#credentials.get(host);
  }

  /** The hosts with credentials; never the credentials themselves. */
  hosts(): string[] {
    return [...this.#credentials.keys()];
  }
}

/** `host[:port]` as a registry is named in image references (no scheme, no path). */
export const REGISTRY_HOST_PATTERN =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/;
