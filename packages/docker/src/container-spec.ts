import type Docker from 'dockerode';

/** A file copied into a container before it starts (or later, through `StartedContainer.copyFiles`). */
export interface FileToCopy {
  /** Absolute path inside the container, e.g. `/etc/gitlab-runner/config.toml`. */
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode?: number;
}

export interface MountSpec {
  readonly type: 'volume' | 'bind';
  /** Volume name or host path. */
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface PortSpec {
  readonly containerPort: number;
  readonly hostPort: number;
  /** The host address the port is published on; glci always passes one (127.0.0.1 for the mock). */
  readonly hostIp: string;
  readonly protocol?: 'tcp' | 'udp';
}

export interface HealthcheckSpec {
  /**
   * Exit 0 means healthy. A string runs through the container's shell (`CMD-SHELL`); an argument
   * list runs directly (`CMD`), for images without a shell such as glci-mock. Unset: the image's
   * own HEALTHCHECK test, with the timings below. `'none'`: no health check at all, not even the
   * image's (Docker would run it every interval for as long as the container lives).
   */
  readonly command?: string | readonly string[] | 'none';
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly startPeriodMs?: number;
}

/**
 * Everything glci says about a container, as plain data. `labels` is required: every container
 * glci makes carries the labels of `labels.ts`.
 */
export interface ContainerSpec {
  readonly image: string;
  readonly name?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The first network, joined at creation; further ones are connected before start. */
  readonly networks?: readonly { readonly name: string; readonly aliases?: readonly string[] }[];
  /** `/etc/hosts` entries, `name:ip` or `name:host-gateway`. */
  readonly extraHosts?: readonly string[];
  readonly mounts?: readonly MountSpec[];
  readonly ports?: readonly PortSpec[];
  readonly privileged?: boolean;
  readonly healthcheck?: HealthcheckSpec;
  readonly user?: string;
  readonly workingDir?: string;
  readonly files?: readonly FileToCopy[];
}

const NANOS_PER_MS = 1_000_000;

/** The Engine API's create body for a spec (networks after the first are connected separately). */
export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const [firstNetwork] = spec.networks ?? [];
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports ?? []) {
    const key = `${port.containerPort}/${port.protocol ?? 'tcp'}`;
    exposed[key] = {};
    bindings[key] = [...(bindings[key] ?? []), { HostIp: port.hostIp, HostPort: String(port.hostPort) }];
  }
  return {
    Image: spec.image,
    ...(spec.name ? { name: spec.name } : {}),
    Labels: { ...spec.labels },
    ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.ports?.length ? { ExposedPorts: exposed } : {}),
    ...(spec.healthcheck
      ? {
          Healthcheck: {
            // No command: the image's own HEALTHCHECK test, with these timings.
            Test:
              spec.healthcheck.command === undefined
                ? []
                : spec.healthcheck.command === 'none'
                  ? ['NONE']
                  : typeof spec.healthcheck.command === 'string'
                    ? ['CMD-SHELL', spec.healthcheck.command]
                    : ['CMD', ...spec.healthcheck.command],
            Interval: (spec.healthcheck.intervalMs ?? 1000) * NANOS_PER_MS,
            Timeout: (spec.healthcheck.timeoutMs ?? 3000) * NANOS_PER_MS,
            Retries: spec.healthcheck.retries ?? 30,
            StartPeriod: (spec.healthcheck.startPeriodMs ?? 0) * NANOS_PER_MS,
          },
        }
      : {}),
    HostConfig: {
      Privileged: spec.privileged ?? false,
      ...(spec.extraHosts?.length ? { ExtraHosts: [...spec.extraHosts] } : {}),
      ...(spec.ports?.length ? { PortBindings: bindings } : {}),
      Mounts: (spec.mounts ?? []).map((mount) => ({
        Type: mount.type,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly ?? false,
      })),
      ...(firstNetwork ? { NetworkMode: firstNetwork.name } : {}),
    },
    ...(firstNetwork
      ? {
          NetworkingConfig: {
            EndpointsConfig: {
              [firstNetwork.name]: firstNetwork.aliases?.length ? { Aliases: [...firstNetwork.aliases] } : {},
            },
          },
        }
      : {}),
  };
}
