import { describe, expect, it } from 'vitest';
import {
  dockerJobSucceeded,
  killedInGetSources,
  timestampedJobFailed,
} from '../trace/test-support/runner-logs.js';
import { traceTimeline } from './trace-timeline.js';

const at = (iso: string) => Date.parse(iso);

describe('traceTimeline', () => {
  it('times sections to the microsecond from the runner timestamps, titles from the record after the marker', () => {
    const timeline = traceTimeline(Buffer.from(timestampedJobFailed));
    expect(timeline.precise).toBe(true);
    expect(timeline.firstMs).toBe(at('2024-11-23T08:20:00.101Z'));
    expect(timeline.lastMs).toBe(at('2024-11-23T08:20:03.001Z'));
    expect(timeline.sections).toEqual([
      {
        name: 'prepare_executor',
        title: 'Preparing the "docker" executor',
        startMs: at('2024-11-23T08:20:00.101Z'),
        endMs: at('2024-11-23T08:20:01.730Z'),
      },
      {
        name: 'get_sources',
        title: 'Getting source from Git repository',
        startMs: at('2024-11-23T08:20:01.730Z'),
        endMs: at('2024-11-23T08:20:02.311Z'),
      },
      {
        name: 'step_script',
        title: 'Executing "step_script" stage of the job script',
        startMs: at('2024-11-23T08:20:02.311Z'),
        endMs: at('2024-11-23T08:20:02.810Z'),
      },
      {
        name: 'cleanup_file_variables',
        title: 'Cleaning up project directory and file based variables',
        startMs: at('2024-11-23T08:20:02.810Z'),
        endMs: at('2024-11-23T08:20:03.001Z'),
      },
    ]);
  });

  it("falls back to the markers' seconds without timestamps, and keeps a section the log ends in open", () => {
    const done = traceTimeline(Buffer.from(dockerJobSucceeded));
    expect(done.precise).toBe(false);
    expect(
      done.sections.map((section) => [section.name, section.startMs / 1000, section.endMs! / 1000]),
    ).toEqual([
      ['prepare_executor', 1732350000, 1732350002],
      ['prepare_script', 1732350002, 1732350003],
      ['get_sources', 1732350003, 1732350005],
      ['restore_cache', 1732350005, 1732350006],
      ['step_script', 1732350006, 1732350015],
      ['archive_cache', 1732350015, 1732350017],
      ['upload_artifacts_on_success', 1732350017, 1732350018],
      ['cleanup_file_variables', 1732350018, 1732350019],
    ]);
    const killed = traceTimeline(Buffer.from(killedInGetSources));
    expect(killed.sections).toEqual([
      { name: 'get_sources', title: 'Getting source from Git repository', startMs: 1732350200000 },
    ]);
  });

  it('leaves sections a script opens inside a stage out', async () => {
    const { userSections } = await import('../trace/test-support/runner-logs.js');
    expect(traceTimeline(Buffer.from(userSections)).sections.map((section) => section.name)).toEqual([
      'step_script',
    ]);
  });
});
