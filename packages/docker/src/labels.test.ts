import { describe, expect, it } from 'vitest';
import { filterLabels, glciLabels, LABEL_MANAGED, labelFilters, matchesLabels } from './labels.js';

describe('labels', () => {
  it('marks every object as managed, with instance, session, role and the optional context', () => {
    expect(
      glciLabels({ instance: 'default', session: 's1', role: 'runner', pipeline: '42', project: 'app' }),
    ).toEqual({
      'dev.glci.managed': 'true',
      'dev.glci.instance': 'default',
      'dev.glci.session': 's1',
      'dev.glci.role': 'runner',
      'dev.glci.pipeline': '42',
      'dev.glci.project': 'app',
    });
    expect(
      glciLabels({ instance: 'i', session: 's', role: 'registry', persistent: true })['dev.glci.persistent'],
    ).toBe('true');
  });

  it('always filters on the managed label', () => {
    expect(filterLabels()).toEqual({ [LABEL_MANAGED]: 'true' });
    expect(labelFilters(filterLabels({ instance: 'x', pipeline: '1' }))).toEqual({
      label: ['dev.glci.managed=true', 'dev.glci.instance=x', 'dev.glci.pipeline=1'],
    });
  });

  it('never matches an object without the managed label, whatever else it carries', () => {
    expect(matchesLabels({ 'dev.glci.instance': 'x' }, { 'dev.glci.instance': 'x' })).toBe(false);
    expect(matchesLabels(null, {})).toBe(false);
    expect(
      matchesLabels(
        { 'dev.glci.managed': 'true', 'dev.glci.instance': 'x' },
        filterLabels({ instance: 'x' }),
      ),
    ).toBe(true);
    expect(
      matchesLabels(
        { 'dev.glci.managed': 'true', 'dev.glci.instance': 'y' },
        filterLabels({ instance: 'x' }),
      ),
    ).toBe(false);
  });
});
