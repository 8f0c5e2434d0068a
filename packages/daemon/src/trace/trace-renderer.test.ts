import { describe, expect, it } from 'vitest';
import {
  dockerJobSucceeded,
  dockerJobSucceededRendered,
  killedInGetSources,
  killedInGetSourcesRendered,
  timestampedJobFailed,
  timestampedJobFailedRendered,
  userSections,
  userSectionsExpanded,
  userSectionsRendered,
} from './test-support/runner-logs.js';
import { formatSectionDuration, jobColour, renderTrace, TraceRenderer } from './trace-renderer.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Feeds `log` in the given chunk sizes (cycled) and returns every rendered line. */
function renderInChunks(
  log: Buffer,
  sizes: readonly number[],
  options: ConstructorParameters<typeof TraceRenderer>[0],
) {
  const renderer = new TraceRenderer(options);
  const lines: string[] = [];
  let offset = 0;
  for (let index = 0; offset < log.length; index++) {
    const size = sizes[index % sizes.length]!;
    lines.push(...renderer.push(log.subarray(offset, offset + size)));
    offset += size;
  }
  return [...lines, ...renderer.end()];
}

const cases = [
  {
    name: 'a successful Docker job',
    log: dockerJobSucceeded,
    job: 'test',
    folded: dockerJobSucceededRendered,
  },
  {
    name: 'a failed job with timestamps',
    log: timestampedJobFailed,
    job: 'build',
    folded: timestampedJobFailedRendered,
  },
  {
    name: 'script sections, collapsed and nested',
    log: userSections,
    job: 'lint',
    folded: userSectionsRendered,
  },
  {
    name: 'a job killed inside a section',
    log: killedInGetSources,
    job: 'deploy',
    folded: killedInGetSourcesRendered,
  },
];

describe('rendering real runner logs (no colour, sections folded)', () => {
  it.each(cases)('$name', ({ log, job, folded }) => {
    expect(renderTrace(bytes(log), { jobName: job, color: false })).toEqual(folded);
  });

  it.each(cases)('$name: the same output for every split into two chunks', ({ log, job, folded }) => {
    const buffer = bytes(log);
    for (let split = 0; split <= buffer.length; split++) {
      const renderer = new TraceRenderer({ jobName: job, color: false });
      const lines = [
        ...renderer.push(buffer.subarray(0, split)),
        ...renderer.push(buffer.subarray(split)),
        ...renderer.end(),
      ];
      expect(lines, `split at byte ${split}`).toEqual(folded);
    }
  });

  it.each(cases)('$name: the same output fed byte by byte and in odd chunk sizes', ({ log, job, folded }) => {
    const buffer = bytes(log);
    expect(renderInChunks(buffer, [1], { jobName: job, color: false })).toEqual(folded);
    expect(renderInChunks(buffer, [3, 7, 31, 2, 64], { jobName: job, color: false })).toEqual(folded);
  });
});

describe('--expand', () => {
  it('keeps every section open and shows where each ends, with its duration', () => {
    expect(renderTrace(bytes(userSections), { jobName: 'lint', color: false, expand: true })).toEqual(
      userSectionsExpanded,
    );
  });

  it('shows the runner sections too', () => {
    const lines = renderTrace(bytes(dockerJobSucceeded), { jobName: 'test', color: false, expand: true });
    expect(lines).toContain('test | ▾ Getting source from Git repository');
    expect(lines).toContain('test | Initialized empty Git repository in /builds/group/app/.git/');
    expect(lines).toContain('test | ▴ get_sources (2s)');
  });
});

describe('colours', () => {
  it('prefixes every line with the job name in its colour, and keeps the log colours', () => {
    const lines = renderTrace(bytes(dockerJobSucceeded), { jobName: 'test', color: true });
    const prefix = `\x1b[${jobColour('test')}mtest\x1b[0m | `;
    expect(lines.every((line) => line.startsWith(prefix))).toBe(true);
    expect(lines).toContain(`${prefix}\x1b[32;1m$ npm ci\x1b[0;m`);
    // The folded header keeps the runner's cyan title; the duration is dim.
    expect(lines).toContain(
      `${prefix}▸ \x1b[36;1mPreparing the "docker" executor\x1b[0;m\x1b[0;m \x1b[2m(2s)\x1b[0m`,
    );
  });

  it('drops erase-line and cursor sequences even when colours are kept', () => {
    const lines = renderTrace(bytes('\x1b[0K\x1b[2Kplain\x1b[1A\n'), { jobName: 'j', color: true });
    expect(lines).toEqual([`\x1b[${jobColour('j')}mj\x1b[0m | plain`]);
  });

  it('closes a colour a line leaves open and re-opens it on the next line', () => {
    const log = '\x1b[31;1mERROR: first\nsecond\x1b[0m\nthird\n';
    const lines = renderTrace(bytes(log), { jobName: 'j', color: true }).map((line) => line.split(' | ')[1]);
    expect(lines).toEqual(['\x1b[31;1mERROR: first\x1b[0m', '\x1b[31;1msecond\x1b[0m', 'third']);
  });

  it('keeps 256-colour and true-colour parameters whole when re-opening them', () => {
    const log = '\x1b[38;5;0mblack\n\x1b[48;2;10;20;30mboth\nmore\n';
    const lines = renderTrace(bytes(log), { jobName: 'j', color: true }).map((line) => line.split(' | ')[1]);
    expect(lines[1]).toBe('\x1b[38;5;0m\x1b[48;2;10;20;30mboth\x1b[0m');
    expect(lines[2]).toBe('\x1b[38;5;0;48;2;10;20;30mmore\x1b[0m');
  });

  it('gives a job the same colour every time, and never red', () => {
    expect(jobColour('build')).toBe(jobColour('build'));
    for (const name of ['a', 'b', 'build', 'test', 'deploy', 'lint: [1/3]', 'ünïcödé']) {
      expect([31, 91]).not.toContain(jobColour(name));
    }
  });
});

describe('lines', () => {
  it('resolves \\r overwrites to what a terminal finally shows', () => {
    const log = 'Pulling  10%\rPulling  55%\rPulling 100%\r\nDone\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual(['j | Pulling 100%', 'j | Done']);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const log = bytes('héllo wörld ✔ 日本\n');
    expect(renderInChunks(log, [1], { jobName: 'j', color: false })).toEqual(['j | héllo wörld ✔ 日本']);
  });

  it('pads the job name to a common width', () => {
    expect(renderTrace(bytes('x\n'), { jobName: 'a', nameWidth: 5, color: false })).toEqual(['a     | x']);
  });

  it('prints the last line even without a final newline', () => {
    expect(renderTrace(bytes('one\ntwo'), { jobName: 'j', color: false })).toEqual(['j | one', 'j | two']);
  });

  it('ignores a section end with no start, and uses the name when a section has no title', () => {
    const log =
      'section_end:5:nothing\r\x1b[0K\nsection_start:1:quiet_one[collapsed=true]\r\x1b[0K\nx\nsection_end:4:quiet_one\r\x1b[0K\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual(['j | ▸ quiet_one (3s)']);
  });

  it('treats a marker without its \\r\\e[0K as text, like the command echo of a script that prints one', () => {
    const log = '$ echo -e "section_start:`date +%s`:x\\r\\e[0KHeader"\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual([
      'j | $ echo -e "section_start:`date +%s`:x\\r\\e[0KHeader"',
    ]);
  });

  it('cuts a line longer than the limit instead of buffering it without bound', () => {
    const log = `${'a'.repeat(10)}\n`;
    expect(renderTrace(bytes(log), { jobName: 'j', color: false, maxLineBytes: 4 })).toEqual([
      'j | aaaa',
      'j | aaaa',
      'j | aa',
    ]);
    // A line exactly at the limit is one line, wherever its newline arrives.
    expect(
      renderInChunks(bytes('aaaa\nb\n'), [4, 1, 2], { jobName: 'j', color: false, maxLineBytes: 4 }),
    ).toEqual(['j | aaaa', 'j | b']);
    // A character cut at the limit is completed by the next piece, not replaced.
    expect(renderTrace(bytes('aaé\n'), { jobName: 'j', color: false, maxLineBytes: 3 })).toEqual([
      'j | aa',
      'j | é',
    ]);
  });
});

describe('timestamps', () => {
  it('are kept in the text with timestamps: keep', () => {
    const log = '2024-11-23T08:20:00.101234Z 01O hello\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false, timestamps: 'keep' })).toEqual([
      'j | 2024-11-23T08:20:00.101234Z 01O hello',
    ]);
  });

  it('joins a line the runner flushed in pieces (the + continuation)', () => {
    const log = [
      '2024-11-23T08:20:00.000001Z 01O Downloading  10%\r\n',
      '2024-11-23T08:20:00.500001Z 01O+Downloading 100%\r\n',
      '2024-11-23T08:20:00.600001Z 01O+\n',
      '2024-11-23T08:20:00.700001Z 01O next\n',
    ].join('');
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual([
      'j | Downloading 100%',
      'j | next',
    ]);
  });

  it('does not join a + record to a line of another stream', () => {
    const log = [
      '2024-11-23T08:20:00.000001Z 00O executor\n',
      '2024-11-23T08:20:00.000002Z 01O+build\n',
    ].join('');
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual(['j | executor', 'j | build']);
  });

  it('keeps a short plain line in a timestamped log as text', () => {
    const log = '2024-11-23T08:20:00.000001Z 01O one\nshort\n2024-11-23T08:20:00.000003Z 01O two\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual([
      'j | one',
      'j | short',
      'j | two',
    ]);
  });

  it('leaves a log that does not start with a header alone in auto mode', () => {
    const log = 'plain first line\n2024-11-23T08:20:00.000001Z 01O looks like a header\n';
    expect(renderTrace(bytes(log), { jobName: 'j', color: false })).toEqual([
      'j | plain first line',
      'j | 2024-11-23T08:20:00.000001Z 01O looks like a header',
    ]);
  });

  it('renders a log shorter than one header', () => {
    expect(renderTrace(bytes('ok'), { jobName: 'j', color: false })).toEqual(['j | ok']);
    expect(renderTrace(bytes(''), { jobName: 'j', color: false })).toEqual([]);
  });
});

describe('formatSectionDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [65, '1m05s'],
    [3599, '59m59s'],
    [7380, '2h03m'],
  ])('%i s → %s', (seconds, text) => {
    expect(formatSectionDuration(seconds)).toBe(text);
  });
});
