import { once } from 'node:events';
import type { Response } from 'express';

/**
 * Answers with a long-lived stream of JSON events, one per line (`application/x-ndjson`), so a
 * client can follow it, and `curl --unix-socket … -N` shows it as it happens. `produce` gets a
 * signal that aborts when the client goes away; the stream ends when its iterable ends.
 */
export async function sendNdjson(
  res: Response,
  produce: (signal: AbortSignal) => AsyncIterable<unknown>,
): Promise<void> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  res.on('close', onClose);
  res.status(200);
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.flushHeaders();
  try {
    for await (const event of produce(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!res.write(`${JSON.stringify(event)}\n`)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
  } finally {
    res.off('close', onClose);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
