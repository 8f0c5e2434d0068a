import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../cli-context.js';
import { formatPruneReport } from './system/actions.js';
import { formatTable, humanSize } from './system/format.js';
import { renderProgressBar } from './system/pull-progress.js';
import { registerSystemCommand } from './system.js';

function capture(): { ctx: CliContext; text(): string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ctx = {
    cwd: '/',
    env: {},
    out,
    config: () => {
      throw new Error('must not load the configuration');
    },
    logger: () => {
      throw new Error('must not log');
    },
  } satisfies CliContext;
  return { ctx, text: () => text };
}

describe('glci system prune', () => {
  it('removes nothing, and does not even connect, when the answer is no', async () => {
    const { ctx, text } = capture();
    const questions: string[] = [];
    const program = new Command('glci').exitOverride();
    registerSystemCommand(program, () => ctx, {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });
    await program.parseAsync(['system', 'prune', '--all'], { from: 'user' });
    expect(questions[0]).toMatch(/registry data and CI cache included/);
    expect(text()).toBe('Nothing removed.\n');
  });

  it('prints what was removed and the space reclaimed', () => {
    expect(
      formatPruneReport({
        containers: ['glci-runner-a'],
        networks: [],
        volumes: ['v'],
        reclaimedBytes: 3 * 1024 * 1024,
      }),
    ).toBe('Removed containers:\n  glci-runner-a\nRemoved volumes:\n  v\nReclaimed space: 3.0 MB\n');
    expect(formatPruneReport({ containers: [], networks: [], volumes: [], reclaimedBytes: 0 })).toBe(
      'Nothing to remove.\nReclaimed space: 0 B\n',
    );
  });
});

describe('system formatting', () => {
  it('formats sizes and tables', () => {
    expect(humanSize(512)).toBe('512 B');
    expect(humanSize(1536)).toBe('1.5 kB');
    expect(formatTable(['A', 'LONGER'], [['xyz', '1']])).toBe('A    LONGER\nxyz  1\n');
  });
});

describe('the pull progress bar', () => {
  it('draws bytes and layers', () => {
    expect(renderProgressBar({ current: 512 * 1024, total: 1024 * 1024, layers: 2, done: 1 }, 10)).toBe(
      '[=====>    ]  50%  512.0 kB / 1.0 MB  1/2 layers',
    );
    expect(renderProgressBar({ current: 10, total: 10, layers: 1, done: 1 }, 4)).toBe(
      '[====] 100%  10 B / 10 B  1/1 layers',
    );
    expect(renderProgressBar({ current: 0, total: 0, layers: 0, done: 0 }, 4)).toBe(
      '[>   ]   0%  0 B / 0 B  0/0 layers',
    );
  });
});
