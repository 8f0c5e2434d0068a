import { PassThrough } from 'node:stream';
import type { RunStarted } from '@glci/executor';
import { describe, expect, it } from 'vitest';
import { RunView } from './run-view.js';

const started: RunStarted = {
  created: true,
  pipelineId: 7,
  context: 'branch=main',
  ref: 'main',
  sha: 'a'.repeat(40),
  stages: ['build'],
  jobs: [{ name: 'build', stage: 'build' }],
  excluded: 0,
};

function view(json: boolean) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { view: new RunView({ out, json, color: false, expand: false, started }), text: () => text };
}

describe('RunView at the end of a pipeline', () => {
  it('says why the daemon could not run the pipeline, not only that it failed', () => {
    const { view: shown, text } = view(false);
    shown.begin();
    shown.end({
      type: 'pipeline-finished',
      pipelineId: 7,
      status: 'failed',
      durationMs: 20,
      error: 'push-through settings refused: "url" must be an http:// or https:// URL',
    });
    expect(text()).toContain(
      'the daemon could not run the pipeline: push-through settings refused: "url" must be an http:// or https:// URL',
    );
    expect(text()).toContain('pipeline #7 failed');
  });

  it('prints nothing of the kind for a pipeline that ran', () => {
    const { view: shown, text } = view(false);
    shown.begin();
    shown.end({ type: 'pipeline-finished', pipelineId: 7, status: 'failed', durationMs: 2000 });
    expect(text()).not.toContain('could not run');
    expect(text()).toContain('pipeline #7 failed in');
  });
});
