/**
 * Typed errors of the Runner API. Stores and services throw these; only `http/http-errors.ts`
 * turns them into status codes and `{"message": ...}` bodies.
 */
export abstract class RunnerApiError extends Error {
  abstract readonly status: number;
  /** Extra response headers (e.g. `Job-Status`, `Range`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, headers: Record<string, string> = {}) {
    super(message);
    this.headers = headers;
  }
}

export class BadRequestError extends RunnerApiError {
  override readonly name = 'BadRequestError';
  readonly status = 400;
}

export class UnauthorizedError extends RunnerApiError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
}

/** A token that is wrong, expired, or belongs to someone else. */
export class ForbiddenError extends RunnerApiError {
  override readonly name = 'ForbiddenError';
  readonly status = 403;
}

export class NotFoundError extends RunnerApiError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
}

export class ConflictError extends RunnerApiError {
  override readonly name = 'ConflictError';
  readonly status = 409;
}

/** The final update's checksum or size does not match the stored trace (runner re-sends it all). */
export class TraceMismatchError extends RunnerApiError {
  override readonly name = 'TraceMismatchError';
  readonly status = 412;
}

export class PayloadTooLargeError extends RunnerApiError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly limit: number;

  constructor(message: string, limit: number) {
    super(message);
    this.limit = limit;
  }
}

/** A trace PATCH that does not continue the stored trace; `storedLength` tells the runner where to resume. */
export class RangeMismatchError extends RunnerApiError {
  override readonly name = 'RangeMismatchError';
  readonly status = 416;
  readonly storedLength: number;

  constructor(message: string, storedLength: number) {
    super(message, { Range: `0-${storedLength}` });
    this.storedLength = storedLength;
  }
}

/** The cache volume would exceed `[cache] max_size`. */
export class InsufficientStorageError extends RunnerApiError {
  override readonly name = 'InsufficientStorageError';
  readonly status = 507;
}

/** Thrown by the job queue for an operation the job's current state does not allow. */
export class InvalidJobStateError extends RunnerApiError {
  override readonly name = 'InvalidJobStateError';
  readonly status = 403;
  readonly jobId: number;
  readonly state: string;

  constructor(jobId: number, state: string, message = `job ${jobId} is ${state}`) {
    super(message, { 'Job-Status': state });
    this.jobId = jobId;
    this.state = state;
  }
}
