import { describe, expect, it } from 'vitest';
import { parseRange } from './blobs.js';
import { RangeNotSatisfiableError } from './oci-errors.js';
import { matchPath } from './router.js';

const D = `sha256:${'c'.repeat(64)}`;

describe('matchPath', () => {
  it.each([
    ['/v2/', { resource: 'base', name: '', reference: '' }],
    ['/v2', { resource: 'base', name: '', reference: '' }],
    ['/v2/_catalog', { resource: 'catalog', name: '', reference: '' }],
    ['/v2/a/tags/list', { resource: 'tags', name: 'a', reference: '' }],
    [`/v2/a/b/c/blobs/${D}`, { resource: 'blobs', name: 'a/b/c', reference: D }],
    ['/v2/a/b/blobs/uploads/', { resource: 'uploads', name: 'a/b', reference: '' }],
    ['/v2/a/b/blobs/uploads', { resource: 'uploads', name: 'a/b', reference: '' }],
    ['/v2/a/b/blobs/uploads/abc-123', { resource: 'uploads', name: 'a/b', reference: 'abc-123' }],
    ['/v2/a/manifests/latest', { resource: 'manifests', name: 'a', reference: 'latest' }],
    [`/v2/a/referrers/${D}`, { resource: 'referrers', name: 'a', reference: D }],
    // names that contain the markers as components still route by the tail
    ['/v2/blobs/manifests/manifests/v1', { resource: 'manifests', name: 'blobs/manifests', reference: 'v1' }],
    ['/v2/tags/list/tags/list', { resource: 'tags', name: 'tags/list', reference: '' }],
    [`/v2/x/blobs/uploads/blobs/${D}`, { resource: 'blobs', name: 'x/blobs/uploads', reference: D }],
  ])('%s', (path, expected) => {
    expect(matchPath(path)).toEqual(expected);
  });

  it.each(['/', '/v3/', '/v2/a', '/v2/a/unknown/x', '/v2/a/manifests', '/v1/a/manifests/x'])(
    '%s → no route',
    (path) => {
      expect(matchPath(path)).toBeUndefined();
    },
  );
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { offset: 0, length: 1 }],
    ['bytes=2-5', 10, { offset: 2, length: 4 }],
    ['bytes=2-', 10, { offset: 2, length: 8 }],
    ['bytes=5-100', 10, { offset: 5, length: 5 }],
    ['bytes=-3', 10, { offset: 7, length: 3 }],
    ['bytes=-30', 10, { offset: 0, length: 10 }],
  ])('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([['bytes=10-'], ['bytes=5-2'], ['bytes=-0'], ['bytes=-'], ['bytes=a-b']])('%s → 416', (header) => {
    expect(() => parseRange(header, 10)).toThrow(RangeNotSatisfiableError);
  });

  it('serves the whole blob for multiple ranges and other units (the RFC allows ignoring Range)', () => {
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
  });
});
