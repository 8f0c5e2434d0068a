import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dindDaemonConfig } from '../dind.js';

const tsx = path.resolve(import.meta.dirname, '../../../../node_modules/.bin/tsx');
const script = path.join(import.meta.dirname, 'daemon-json.ts');
const exec = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'glci-daemon-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const daemonJson = (...args: string[]) => exec(tsx, ['--conditions=source', script, ...args]);

describe('daemon-json', () => {
  it('prints the generated daemon.json merged with the settings file', async () => {
    const settings = path.join(dir, 'settings.json');
    const extra = { hosts: ['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375'], 'log-level': 'warn' };
    await writeFile(settings, JSON.stringify(extra));
    const { stdout } = await daemonJson('127.0.0.1:39749', settings);
    expect(JSON.parse(stdout)).toEqual(dindDaemonConfig('127.0.0.1:39749', extra));
    expect(JSON.parse((await daemonJson('glci-mock:39741')).stdout)).toEqual(
      dindDaemonConfig('glci-mock:39741'),
    );
  });

  it('fails when the settings file sets the registry settings, or without a registry', async () => {
    const settings = path.join(dir, 'clash.json');
    await writeFile(settings, JSON.stringify({ 'insecure-registries': ['elsewhere:5000'] }));
    await expect(daemonJson('127.0.0.1:39749', settings)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("insecure-registries come from glci's registry"),
    });
    await expect(daemonJson()).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
  });
});
