import { describe, expect, it } from 'vitest';
import { describeLevel, displayValue, fromApiVariable } from './ci-variable.js';

const api = {
  key: 'REGISTRY_PASSWORD',
  value: 's3cr3t-registry-pass',
  variable_type: 'env_var' as const,
  protected: false,
  masked: true,
  hidden: false,
  raw: false,
  environment_scope: '*',
  description: null,
};

describe('CiVariable', () => {
  it('reads the API answer, with its level', () => {
    expect(fromApiVariable(api, { kind: 'project', project: 'acme/app' })).toEqual({
      key: 'REGISTRY_PASSWORD',
      value: 's3cr3t-registry-pass',
      variableType: 'env_var',
      protected: false,
      masked: true,
      hidden: false,
      raw: false,
      environmentScope: '*',
      description: undefined,
      level: { kind: 'project', project: 'acme/app' },
    });
  });

  it('shows masked values as [MASKED] unless asked, hidden ones as [HIDDEN] always', () => {
    const masked = fromApiVariable(api, { kind: 'instance' });
    expect(displayValue(masked)).toBe('[MASKED]');
    expect(displayValue(masked, { reveal: true })).toBe('s3cr3t-registry-pass');
    const hidden = fromApiVariable({ ...api, value: null, hidden: true }, { kind: 'instance' });
    expect(displayValue(hidden, { reveal: true })).toBe('[HIDDEN]');
    expect(describeLevel({ kind: 'group', group: 'acme/platform' })).toBe('group acme/platform');
  });
});
