import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { locateCliFiles } from './cli-files.js';

/** A package directory laid out as the sources, tsc's output and the bundle are. */
function packageTree(onFinished: (cleanup: () => void) => void): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-cli-files-'));
  onFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const dir of ['src/commands', 'dist/commands', 'dist/chunks'])
    mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), '{"version":"1.2.3"}');
  writeFileSync(path.join(root, 'dist', 'build-info.json'), '{}');
  return root;
}

const url = (root: string, file: string) => pathToFileURL(path.join(root, file)).href;

describe('locateCliFiles', () => {
  it('finds the package root and the build from tsc output and from bundle chunks alike', ({
    onTestFinished,
  }) => {
    const root = packageTree(onTestFinished);
    const built = { packageRoot: root, buildDir: path.join(root, 'dist') };
    expect(locateCliFiles(url(root, 'dist/bin.js'))).toEqual(built);
    expect(locateCliFiles(url(root, 'dist/commands/version.js'))).toEqual(built);
    expect(locateCliFiles(url(root, 'dist/chunks/chunk-ABC.js'))).toEqual(built);
  });

  it('reports no build when the code runs from the sources', ({ onTestFinished }) => {
    const root = packageTree(onTestFinished);
    expect(locateCliFiles(url(root, 'src/commands/version.ts'))).toEqual({
      packageRoot: root,
      buildDir: undefined,
    });
  });

  it('names the module when no package.json is above it', () => {
    expect(() => locateCliFiles('file:///no-such-dir/x.js')).toThrow(
      'no package.json above /no-such-dir/x.js',
    );
  });
});
