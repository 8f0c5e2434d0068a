import { describe, expect, it } from 'vitest';
import { LiveMasker } from './live-masker.js';

describe('LiveMasker', () => {
  it("masks the job's masked variables, its own and the pipeline's, as the runner does", () => {
    const masker = LiveMasker.forJob({
      variables: {
        PLAIN: 'visible',
        SECRET: { value: 's3cr3t-value', masked: true },
        LONGER: { value: 's3cr3t-value-and-more', masked: true },
      },
      pipeline_variables: { DEPLOY_KEY: { value: 'k3y', masked: true } },
    });
    expect(masker.mask('visible s3cr3t-value s3cr3t-value-and-more k3y\n')).toBe(
      'visible [MASKED] [MASKED] [MASKED]\n',
    );
  });

  it("masks secrets the job gets from the mock rather than its spec (an external registry's password)", () => {
    const masker = LiveMasker.forJob({ variables: {} }, ['hub-pa$word', '']);
    expect(masker.mask('logged in with hub-pa$word\n')).toBe('logged in with [MASKED]\n');
  });

  it('masks what follows a default token prefix, and leaves masked text alone', () => {
    const masker = new LiveMasker([]);
    expect(masker.mask('token glcbt-64_a1B2.c3=d4 ok glpat-xyz\n')).toBe(
      'token glcbt-[MASKED] ok glpat-[MASKED]\n',
    );
    expect(masker.mask('glcbt-[MASKED] glpat- alone')).toBe('glcbt-[MASKED] glpat- alone');
  });
});
