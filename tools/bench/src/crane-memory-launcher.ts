import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCraneRegistry } from '@glci/testkit';
import type { RegistryLauncher } from './registry-under-test.js';

/**
 * crane's own registry (`crane registry serve`) as the candidate: it keeps every blob in memory,
 * writes nothing and syncs nothing. Not a product to beat: a reference for how much of a row the
 * registry can decide at all. Where even this registry stays close to distribution, the clients
 * (docker, crane and the other ends, on the same cores) set the row's time, and no registry can
 * reach a much higher ratio there.
 */
export function craneMemoryLauncher(name = 'crane-memory'): RegistryLauncher {
  return {
    name,
    description: "crane registry serve (go-containerregistry's in-memory registry): no storage, a ceiling",
    async start() {
      const registry = await startCraneRegistry();
      const pid = registry.process.child.pid;
      if (pid === undefined) throw new Error('crane registry serve started without a pid');
      // Nothing is stored here; the directory only satisfies RegistryUnderTest.
      const storageDirectory = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-crane-'));
      const stop = async () => {
        await registry.stop();
        rmSync(storageDirectory, { recursive: true, force: true });
      };
      return {
        name,
        url: registry.url,
        host: registry.host,
        pid,
        storageDirectory,
        output: () => registry.process.output(),
        stop,
        [Symbol.asyncDispose]: stop,
      };
    },
  };
}
