/**
 * The orchestrating process the recovery test kills with SIGKILL: it builds two pipelines and
 * then idles, as the daemon would mid-pipeline. Arguments: host instance prefix session port.
 */

import { createSilentLogger } from '@glci/config';
import { DockerOrchestrator } from '../docker-orchestrator.js';
import { PEER_IMAGE, testTopology } from './docker-env.js';

const [host = '', instance = '', prefix = '', session = '', port = '0'] = process.argv.slice(2);
const orchestrator = await DockerOrchestrator.connect(
  { host, source: 'config' },
  { logger: createSilentLogger() },
);
const topology = testTopology(orchestrator, { instance, prefix, session }, Number(port));
const runner = {
  image: PEER_IMAGE,
  cmd: ['/bin/record-signals'],
  configToml: 'concurrent = 1\n',
  pullPolicy: 'never',
} as const;
for (const pipelineId of ['100', '200']) {
  await topology.startPipeline(pipelineId);
  await topology.ensureRunner({ ...runner, pipelineId, suffix: `p${pipelineId}`, tier: 'shared' });
  await topology.ensureRunner({
    ...runner,
    pipelineId,
    suffix: `p${pipelineId}`,
    tier: 'named',
    project: 'app',
    name: 'gpu',
  });
}
await topology.startDindJob('200', '9');
process.stdout.write('READY\n');
setInterval(() => undefined, 60_000);
