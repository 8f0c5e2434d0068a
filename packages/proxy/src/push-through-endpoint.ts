import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@glci/config';
import { type PushThrough, parsePushThroughConfig } from './push-through.js';

const MAX_BODY = 64 * 1024;

/**
 * The handler behind the mock server's `POST /internal/push-through-config`: it requires
 * `Authorization: Bearer <secret>` (compared in constant time; anything else is 401), validates the
 * JSON body like `push-through.json` (`null` switches mirroring off) and swaps the settings without
 * touching pushes in flight. Answers 204, or 400 with the reason. Credentials are never logged.
 */
export function createPushThroughConfigHandler(options: {
  pushThrough: PushThrough;
  secret: string;
  logger: Logger;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  if (options.secret.length < 16) throw new Error('the internal secret must have at least 16 characters');
  const expected = Buffer.from(`Bearer ${options.secret}`);
  const answer = (res: ServerResponse, status: number, message?: string) => {
    const body = message ? JSON.stringify({ error: message }) : '';
    res.writeHead(status, {
      ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
    });
    res.end(body);
  };
  return async (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, 'POST only');
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      req.resume();
      return answer(res, 401, 'missing or wrong internal secret');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return answer(res, 413, 'body too large');
      chunks.push(chunk as Buffer);
    }
    let config: ReturnType<typeof parsePushThroughConfig>;
    try {
      // Resolved by the daemon already: a `$` in a password is the password's.
      config = parsePushThroughConfig(JSON.parse(Buffer.concat(chunks).toString('utf8')), null);
    } catch (error) {
      return answer(res, 400, error instanceof Error ? error.message : String(error));
    }
    options.pushThrough.update(config);
    options.logger.info('push-through settings replaced through the internal endpoint', {
      enabled: options.pushThrough.current().enabled,
      upstream: options.pushThrough.current().url,
    });
    return answer(res, 204);
  };
}
