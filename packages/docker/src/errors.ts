/**
 * Errors of the orchestrator. Every failed Docker call becomes a `DockerOperationError` whose
 * message starts with what glci was doing (`creating network glci-net-42: ...`); the original
 * error stays in `cause`, and `statusCode` carries the Engine API status when there was one.
 */
export class DockerOperationError extends Error {
  override readonly name = 'DockerOperationError';
  readonly action: string;
  readonly statusCode: number | undefined;

  constructor(action: string, cause: unknown) {
    super(`${action}: ${describeDockerError(cause)}`, { cause });
    this.action = action;
    this.statusCode = dockerStatusCode(cause);
  }
}

/**
 * Why an engine could not be used. The step that failed, as a user reads it: `connect`
 * (not-running, permission, unreachable), `TLS verification` (tls), `ssh authentication`
 * (ssh-auth), `ssh host key verification` (ssh-host-key), other ssh failures (ssh: the remote has
 * no docker command, …), `API version` (api-version: the daemon is too old), or an endpoint glci
 * cannot speak (unsupported).
 */
export type DockerConnectionProblem =
  | 'not-running'
  | 'permission'
  | 'unreachable'
  | 'tls'
  | 'ssh-auth'
  | 'ssh-host-key'
  | 'ssh'
  | 'api-version'
  | 'unsupported';

/**
 * The Docker endpoint could not be used at all; `problem` says why, and the message, which starts
 * with the endpoint and the step (`tcp://build:2376: TLS verification: …`), what to do.
 */
export class DockerConnectionError extends Error {
  override readonly name = 'DockerConnectionError';
  readonly host: string;
  readonly problem: DockerConnectionProblem;

  constructor(host: string, problem: DockerConnectionProblem, message: string, cause?: unknown) {
    super(message, { cause });
    this.host = host;
    this.problem = problem;
  }
}

/**
 * Sending an image from one engine to another failed; `step` says where: reading it from the
 * source engine (`save`), or loading it into the target (`load`).
 */
export class ImageTransferError extends Error {
  override readonly name = 'ImageTransferError';
  readonly image: string;
  readonly from: string;
  readonly to: string;
  readonly step: 'inspect' | 'save' | 'load';

  constructor(
    details: { image: string; from: string; to: string; step: 'inspect' | 'save' | 'load' },
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.image = details.image;
    this.from = details.from;
    this.to = details.to;
    this.step = details.step;
  }
}

/** An image was needed under pull policy `never` but is not on the daemon. */
export class ImageNotPresentError extends Error {
  override readonly name = 'ImageNotPresentError';
  readonly image: string;

  constructor(image: string) {
    super(`image ${image} is not present on the Docker daemon and the pull policy is "never"`);
    this.image = image;
  }
}

/** A wait (health check, DinD readiness) gave up; `lastOutput` helps explain why. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly target: string;

  constructor(target: string, timeoutMs: number, detail?: string) {
    super(`timed out after ${timeoutMs} ms waiting for ${target}${detail ? `: ${detail}` : ''}`);
    this.target = target;
  }
}

/** The Engine API status code of a dockerode error, if it has one. */
export function dockerStatusCode(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True for the Engine API's 404 (no such container/network/volume/image). */
export function isNotFound(error: unknown): boolean {
  return (
    dockerStatusCode(error) === 404 || dockerStatusCode((error as { cause?: unknown } | null)?.cause) === 404
  );
}

/** True for the Engine API's 409 (name already in use). */
export function isConflict(error: unknown): boolean {
  return dockerStatusCode(error) === 409;
}

/** True for 304 Not Modified (already started/stopped). */
export function isNotModified(error: unknown): boolean {
  return dockerStatusCode(error) === 304;
}

/** The daemon's own message when it sent one (`{"message": ...}`), else the error's message. */
export function describeDockerError(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
