import { describe, expect, it } from 'vitest';
import { QUICK_SIZES } from '../scenario.js';
import { GITLAB_INCLUDE_ROWS, runGitlabIncludeRows } from './gitlab-include-rows.js';
import { GITLAB_CI_LOCAL } from './planning-rows.js';

describe('the GitLab include rows', () => {
  it('time glci (the built CLI) and gitlab-ci-local planning the same includes from the GitLab stand-in, cold and warm', async () => {
    const progress: string[] = [];
    const rows = await runGitlabIncludeRows(
      { sizes: QUICK_SIZES, blob: undefined as never, progress: (line) => progress.push(line) },
      undefined,
      GITLAB_CI_LOCAL,
    );
    expect(rows.map((row) => row.id)).toEqual(GITLAB_INCLUDE_ROWS.map((row) => row.id));
    for (const row of rows) {
      expect(row.error, progress.join('\n')).toBeUndefined();
      expect(row.baseline.samples).toHaveLength(1);
      expect(row.candidate.samples).toHaveLength(1);
      expect(row.ratio).toBeGreaterThan(0);
    }
  }, 300_000);
});
