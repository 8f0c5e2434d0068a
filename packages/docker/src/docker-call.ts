import type { Logger } from '@glci/config';
import { DockerOperationError, dockerStatusCode } from './errors.js';

/**
 * Runs one Docker call with glci's logging and error shape: a debug line before and after, and on
 * failure a log line plus a `DockerOperationError` whose message starts with `action`
 * (`creating network glci-net-42: ...`). Expected misses (404, 304, 409) are logged at debug level
 * since callers often handle them.
 */
export async function dockerCall<T>(
  logger: Logger,
  action: string,
  context: Record<string, unknown>,
  call: () => Promise<T>,
): Promise<T> {
  logger.debug(action, context);
  try {
    const result = await call();
    logger.debug(`${action}: done`, context);
    return result;
  } catch (error) {
    if (error instanceof DockerOperationError) throw error;
    const wrapped = new DockerOperationError(action, error);
    const status = dockerStatusCode(error);
    const level = status === 404 || status === 304 || status === 409 ? 'debug' : 'error';
    logger.log(level, `${action}: failed`, { ...context, error: wrapped.message, status });
    throw wrapped;
  }
}
