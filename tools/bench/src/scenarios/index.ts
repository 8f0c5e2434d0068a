import type { BenchContext, ScenarioGroup } from '../scenario.js';
import { blobPullScenarios } from './blob-pull.js';
import { blobPushScenarios } from './blob-push.js';
import { craneScenarios } from './crane-copy.js';
import { dockerScenarios } from './docker-e2e.js';
import { manifestScenarios } from './manifests.js';
import { proxyScenarios } from './proxy.js';
import { s3Scenarios } from './s3.js';

/** Every scenario group, in report order. A new group adds one line here. */
export function allScenarios(context: BenchContext): ScenarioGroup[] {
  return [
    blobPushScenarios(context),
    blobPullScenarios(context),
    manifestScenarios(context),
    dockerScenarios(context),
    craneScenarios(context),
    ...s3Scenarios(context),
    proxyScenarios(context),
  ];
}
