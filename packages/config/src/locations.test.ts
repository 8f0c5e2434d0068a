import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandTilde, findProjectConfig, glciHome, resolveConfigPath } from './locations.js';

describe('glciHome', () => {
  it('is ~/.glci by default', () => {
    expect(glciHome({}, '/home/ada')).toBe('/home/ada/.glci');
  });

  it('follows GLCI_HOME, expanding ~', () => {
    expect(glciHome({ GLCI_HOME: '/srv/glci' }, '/home/ada')).toBe('/srv/glci');
    expect(glciHome({ GLCI_HOME: '~/glci' }, '/home/ada')).toBe('/home/ada/glci');
  });
});

describe('findProjectConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'glci-locations-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('walks up from a nested directory to the nearest .glciconfig.toml', () => {
    writeFileSync(path.join(dir, '.glciconfig.toml'), '');
    mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(path.join(dir, 'a', '.glciconfig.toml'), '');
    expect(findProjectConfig(path.join(dir, 'a', 'b', 'c'))).toBe(path.join(dir, 'a', '.glciconfig.toml'));
    expect(findProjectConfig(dir)).toBe(path.join(dir, '.glciconfig.toml'));
  });
});

describe('resolveConfigPath', () => {
  const options = { glciHome: '/srv/glci', home: '/home/ada', relativeTo: '/work/project' };

  it('moves ~/.glci paths to GLCI_HOME', () => {
    expect(resolveConfigPath('~/.glci/daemon.sock', options)).toBe('/srv/glci/daemon.sock');
    expect(resolveConfigPath('~/.glci', options)).toBe('/srv/glci');
  });

  it('expands other ~/ paths to the home directory', () => {
    expect(resolveConfigPath('~/.glcix/a', options)).toBe('/home/ada/.glcix/a');
  });

  it('resolves relative paths against the file that set them', () => {
    expect(resolveConfigPath('logs/daemon.log', options)).toBe('/work/project/logs/daemon.log');
  });

  it('keeps absolute paths', () => {
    expect(resolveConfigPath('/var/log/glci.log', options)).toBe('/var/log/glci.log');
  });
});

describe('expandTilde', () => {
  it('expands only a leading ~ or ~/', () => {
    expect(expandTilde('~', '/h')).toBe('/h');
    expect(expandTilde('~/x', '/h')).toBe('/h/x');
    expect(expandTilde('a~/x', '/h')).toBe('a~/x');
  });
});
