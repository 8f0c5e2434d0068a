import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFile } from './json-file.js';

describe('JsonFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glci-json-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads nothing before the first save, then the latest document, leaving no temporary files', async () => {
    const file = new JsonFile<{ n: number }>(path.join(dir, 'nested', 'state.json'));
    expect(file.load()).toBeUndefined();
    file.save({ n: 1 });
    file.save({ n: 2 });
    expect(file.load()).toEqual({ n: 2 });
    expect(await readdir(path.join(dir, 'nested'))).toEqual(['state.json']);
  });

  it('names the file when its content is not JSON', async () => {
    const target = path.join(dir, 'broken.json');
    await writeFile(target, '{"half');
    expect(() => new JsonFile(target).load()).toThrow(/broken\.json: not valid JSON/);
  });
});
