import { describe, expect, it } from 'vitest';
import { didYouMean } from './did-you-mean.js';

describe('didYouMean', () => {
  const keys = ['mock_server_port', 'mock_server_bind', 'container_host', 'host_gateway'];

  it('finds a transposition', () => {
    expect(didYouMean('mock_server_prot', keys)).toBe('mock_server_port');
  });

  it('finds a missing letter and ignores case', () => {
    expect(didYouMean('Container_Hst', keys)).toBe('container_host');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('colour', keys)).toBeUndefined();
  });

  it('suggests nothing when there are no candidates', () => {
    expect(didYouMean('anything', [])).toBeUndefined();
  });

  it('accepts two edits even for short keys', () => {
    expect(didYouMean('tl', ['ttl', 'max_size'])).toBe('ttl');
  });
});
