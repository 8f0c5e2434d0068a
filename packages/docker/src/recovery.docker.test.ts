import { spawn } from 'node:child_process';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { freePort } from '@glci/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { glciLabels } from './labels.js';
import { recoverPipelines } from './recovery.js';
import {
  connectOrchestrator,
  PEER_IMAGE,
  TRANSPORTS,
  testInstance,
  testTopology,
} from './test-support/docker-env.js';

const CHILD = path.join(import.meta.dirname, 'test-support/orchestrate-child.ts');

describe.each(TRANSPORTS)(
  'recovery after the orchestrating process is killed, over $transport',
  ({ host }) => {
    const ids = testInstance();
    let orchestrator: DockerOrchestrator | undefined;

    afterAll(async () => {
      await orchestrator?.reap({ instance: ids.instance }, { all: true });
    });

    it('finds the surviving pipeline, classifies the dead one and removes orphans', async () => {
      orchestrator = await connectOrchestrator(host);
      const port = await freePort();
      await runAndKill([host, ids.instance, ids.prefix, ids.session, String(port)]);
      const p = ids.prefix;

      // Pipeline 200's runners die with it; a stopped helper of no pipeline is an orphan.
      await orchestrator.docker.getContainer(`${p}-runner-p200`).kill();
      await orchestrator.docker.getContainer(`${p}-runner-p200-app-gpu`).kill();
      const orphan = await orchestrator.run({
        image: PEER_IMAGE,
        name: `${p}-orphan`,
        labels: glciLabels({ instance: ids.instance, session: ids.session, role: 'helper' }),
        cmd: ['true'],
      });
      await orphan.wait();

      // A new process: new session, same instance.
      const topology = testTopology(orchestrator, { ...ids, session: 'restarted' }, port);
      const report = await recoverPipelines(orchestrator, topology, createSilentLogger());

      expect(report.resumable.map((r) => r.pipelineId)).toEqual(['100']);
      expect(report.resumable[0]?.runners.map((r) => r.name).sort()).toEqual([
        `${p}-runner-p100`,
        `${p}-runner-p100-app-gpu`,
      ]);
      expect(report.dead.map((d) => d.pipelineId)).toEqual(['200']);
      expect(report.dead[0]?.reason).toBe('no runner container is running');
      expect(report.removed.containers).toEqual(
        expect.arrayContaining([`${p}-runner-p200`, `${p}-runner-p200-app-gpu`, `${p}-orphan`]),
      );
      expect([...report.removed.networks].sort()).toEqual([`${p}-net-200`, `${p}-net-200-job-9`]);

      const left = await orchestrator.find({ instance: ids.instance });
      expect(left.containers.map((c) => c.name).sort()).toEqual([
        `${p}-mock`,
        `${p}-runner-p100`,
        `${p}-runner-p100-app-gpu`,
      ]);
      expect(left.networks.map((n) => n.name)).toEqual([`${p}-net-100`]);
      expect(left.volumes.map((v) => v.name).filter((name) => name.includes('p200'))).toEqual([]);

      // With the mock gone as well, the surviving pipeline is dead too.
      await orchestrator.docker.getContainer(`${p}-mock`).kill();
      const second = await recoverPipelines(orchestrator, topology, createSilentLogger());
      expect(second.resumable).toEqual([]);
      expect(second.dead.map((d) => [d.pipelineId, d.reason])).toEqual([
        ['100', 'the mock container is not running'],
      ]);
      expect(second.removed.containers).toContain(`${p}-mock`);
      const rest = await orchestrator.find({ instance: ids.instance });
      expect(rest.containers).toEqual([]);
      expect(rest.networks).toEqual([]);
    }, 120_000);
  },
);

/** Runs the child until it says READY, then kills it with SIGKILL (no cleanup can run). */
async function runAndKill(args: string[]): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`the orchestrating child exited (${code}): ${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
