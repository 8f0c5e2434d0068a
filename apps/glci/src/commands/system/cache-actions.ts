import type { CliContext } from '../../cli-context.js';
import { connectDaemon } from '../daemon/daemon-session.js';
import { humanSize } from './format.js';

/** `glci system cache clean`: deletes every CI cache entry (the `cache:` archives jobs share). */
export async function cacheCleanCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const { client } = await connectDaemon(ctx);
  const answer = await client.request<{ entries: number; bytes: number }>(
    'POST',
    '/cache/clean',
    {},
    {
      timeoutMs: 10 * 60_000,
    },
  );
  ctx.out.write(
    options.json
      ? `${JSON.stringify(answer)}\n`
      : `Removed ${answer.entries} cache ${answer.entries === 1 ? 'entry' : 'entries'} (${humanSize(answer.bytes)}).\n`,
  );
}
