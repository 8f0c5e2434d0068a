/**
 * Child process for the crash tests (fs-driver.crash.test.ts): writes through the FsDriver until
 * the parent kills it with SIGKILL. Reports progress on stdout, one JSON object per line.
 *
 *   upload <root> <repository> <total bytes>   an upload session in 4 MiB "requests" (write, close)
 *   put <root> <path> <bytes>                  putContent of alternating all-A / all-B files, forever
 */
import { createSilentLogger } from '@glci/config';
import { createNamespace } from '../../store/namespace.js';
import { FsDriver } from '../fs-driver.js';
import { patternChunk } from './pattern.js';

const [mode, root, target, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
const driver = new FsDriver({ root: root as string });
const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

if (mode === 'upload') {
  const namespace = createNamespace({ driver, logger: createSilentLogger() });
  const repository = await namespace.repository(target as string);
  const first = await repository.blobs.createUpload();
  if (first.mounted) throw new Error('unexpected mount');
  report({ event: 'started', id: first.id });
  const request = 4 * 1024 * 1024;
  let offset = 0;
  while (offset < size) {
    const writer = await repository.blobs.resumeUpload(first.id);
    const end = Math.min(size, offset + request);
    for (let position = offset; position < end; position += 256 * 1024) {
      await writer.write(patternChunk(position, Math.min(256 * 1024, end - position)), {
        expectedOffset: position,
      });
      report({ event: 'written', bytes: position + Math.min(256 * 1024, end - position) });
    }
    await writer.close();
    offset = end;
    report({ event: 'closed', bytes: offset });
  }
  report({ event: 'done' });
} else if (mode === 'put') {
  for (let round = 0; ; round += 1) {
    await driver.putContent(target as string, Buffer.alloc(size, round % 2 === 0 ? 'A' : 'B'));
    report({ event: 'put', round });
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
