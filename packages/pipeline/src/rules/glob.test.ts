import { describe, expect, it } from 'vitest';
import { GlobSet, globToRegExp } from './glob.js';

describe('globToRegExp (Ruby fnmatch with PATHNAME | DOTMATCH | EXTGLOB)', () => {
  it.each([
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['**/*.md', 'README.md', true],
    ['**/*.md', 'docs/a/README.md', true],
    ['docs/**/*', 'docs/a/b.txt', true],
    ['docs/**/*', 'docs/b.txt', true],
    ['docs/**/*', 'other/b.txt', false],
    ['docs/*', 'docs/a/b.txt', false],
    ['*', '.gitignore', true],
    ['src/{app,lib}/*.ts', 'src/lib/x.ts', true],
    ['src/{app,lib}/*.ts', 'src/test/x.ts', false],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file/.txt', false],
    ['[a-c]*.go', 'b_test.go', true],
    ['[!a-c]*.go', 'b_test.go', false],
    ['Dockerfile', 'Dockerfile', true],
  ])('%s vs %s → %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });

  it('compares plain paths without a regexp and strips ./ and leading slashes', () => {
    const set = new GlobSet(['./Dockerfile', '/src/**/*.ts']);
    expect(set.matches('Dockerfile')).toBe(true);
    expect(set.matches('src/a/b.ts')).toBe(true);
    expect(set.matches('lib/a.ts')).toBe(false);
  });
});
