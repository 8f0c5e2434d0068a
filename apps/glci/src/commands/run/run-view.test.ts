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

describe('RunView with live output', () => {
  const live = (text: string, name = 'build') =>
    ({ type: 'live', pipelineId: 7, name, jobId: 3, container: 'build', stream: 'stdout', text }) as const;
  const trace = (text: string) =>
    ({
      type: 'trace',
      pipelineId: 7,
      name: 'build',
      jobId: 3,
      offset: 0,
      data: Buffer.from(text).toString('base64'),
    }) as const;

  function terminal() {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const shown = new RunView({
      out,
      json: false,
      color: false,
      expand: false,
      started,
      live: true,
      columns: () => 30,
    });
    return { shown, text: () => text };
  }

  it('on a terminal, shows the newest live line on a status line and clears it before the log goes on', () => {
    const { shown, text } = terminal();
    shown.event(live('$ make\ncompiling a.c\n'));
    expect(text()).toBe('\r\u001b[2Kbuild ⋮ compiling a.c');
    shown.event(live('progress 10%\rprogress 99%\n'));
    expect(text().endsWith('\r\u001b[2Kbuild ⋮ progress 99%')).toBe(true);
    // The runner's log arrives: the status line goes, the log is printed as the record has it.
    shown.event(trace('$ make\ncompiling a.c\n'));
    expect(text().endsWith('\r\u001b[2Kbuild | $ make\nbuild | compiling a.c\n')).toBe(true);
    // A line too long for the terminal is cut, never wrapped (a wrapped line cannot be cleared).
    shown.event(live(`${'x'.repeat(100)}\n`));
    expect(text().split('\r\u001b[2K').at(-1)).toHaveLength(29);
    shown.end({ type: 'pipeline-finished', pipelineId: 7, status: 'success', durationMs: 10 });
    expect(text()).not.toMatch(/⋮ x+\n/);
  });

  it('prints nothing live when the output is not a terminal, and passes live events on with --json', () => {
    const plain = view(false);
    plain.view.event(live('hello\n'));
    expect(plain.text()).toBe('');
    const json = view(true);
    json.view.event(live('hello\n'));
    expect(JSON.parse(json.text())).toEqual(live('hello\n'));
  });
});
