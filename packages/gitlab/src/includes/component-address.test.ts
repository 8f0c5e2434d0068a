import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../errors.js';
import { componentFileCandidates, parseComponentAddress, versionKind } from './component-address.js';

describe('parseComponentAddress', () => {
  it('splits host, project, component name and version as GitLab does', () => {
    expect(parseComponentAddress('gitlab.example.com/acme/components/container/build@~latest')).toEqual({
      host: 'gitlab.example.com',
      project: 'acme/components/container',
      name: 'build',
      version: '~latest',
      address: 'gitlab.example.com/acme/components/container/build@~latest',
    });
    expect(parseComponentAddress('127.0.0.1:8443/g/p/lint@1.0').host).toBe('127.0.0.1:8443');
  });

  it.each([
    'gitlab.example.com/g/p/build',
    'gitlab.example.com/p/build@1',
    'gitlab.example.com/g/../build@1',
    '@1',
  ])('refuses %s, saying how to write one', (address) => {
    expect(() => parseComponentAddress(address)).toThrow(InvalidReferenceError);
    expect(() => parseComponentAddress(address)).toThrow(
      /<fqdn>\/<project path>\/<component name>@<version>/,
    );
  });
});

describe('versionKind', () => {
  it('reads ~latest, shorthand versions, SHAs and other refs', () => {
    expect(versionKind('~latest')).toEqual({ kind: 'latest' });
    expect(versionKind('1')).toEqual({ kind: 'partial-semver', major: 1, minor: undefined });
    expect(versionKind('1.2')).toEqual({ kind: 'partial-semver', major: 1, minor: 2 });
    expect(versionKind('1.2.3')).toEqual({ kind: 'ref', ref: '1.2.3' });
    expect(versionKind('main')).toEqual({ kind: 'ref', ref: 'main' });
    expect(versionKind('a'.repeat(40))).toEqual({ kind: 'sha', sha: 'a'.repeat(40) });
  });

  it('looks for templates/<name>.yml, then templates/<name>/template.yml', () => {
    expect(componentFileCandidates('build')).toEqual(['templates/build.yml', 'templates/build/template.yml']);
  });
});
