import { describe, expect, it } from 'vitest';
import { isProjectPath, parseOriginRemote } from './origin-remote.js';

describe('parseOriginRemote', () => {
  it.each([
    ['git@gitlab.example.com:group/project.git', 'https://gitlab.example.com', 'group/project', 'ssh'],
    ['git@gitlab.example.com:group/sub/project', 'https://gitlab.example.com', 'group/sub/project', 'ssh'],
    [
      'ssh://git@gitlab.example.com:2222/group/project.git',
      'https://gitlab.example.com',
      'group/project',
      'ssh',
    ],
    ['https://gitlab.example.com/group/project.git', 'https://gitlab.example.com', 'group/project', 'http'],
    [
      'https://oauth2:secret@gitlab.example.com:8443/a/b/c.git',
      'https://gitlab.example.com:8443',
      'a/b/c',
      'http',
    ],
    ['http://127.0.0.1:8080/group/project', 'http://127.0.0.1:8080', 'group/project', 'http'],
  ] as const)('%s is project %s on %s', (url, instance, project, transport) => {
    const origin = parseOriginRemote(url);
    expect(origin).toMatchObject({ instanceUrl: instance, projectPath: project, transport });
  });

  it('reaches sibling projects with the same transport, user and port', () => {
    expect(parseOriginRemote('git@gitlab.example.com:g/p.git')?.gitUrlFor('acme/ci')).toBe(
      'git@gitlab.example.com:acme/ci.git',
    );
    expect(parseOriginRemote('ssh://git@gitlab.example.com:2222/g/p.git')?.gitUrlFor('acme/ci')).toBe(
      'ssh://git@gitlab.example.com:2222/acme/ci.git',
    );
    expect(parseOriginRemote('https://gitlab.example.com/g/p.git')?.gitUrlFor('acme/ci')).toBe(
      'https://gitlab.example.com/acme/ci.git',
    );
  });

  it('never keeps credentials written into the URL', () => {
    const origin = parseOriginRemote('https://oauth2:secret@gitlab.example.com/g/p.git')!;
    expect(JSON.stringify(origin)).not.toContain('secret');
    expect(origin.gitUrlFor('g/q')).not.toContain('secret');
  });

  it.each([
    '',
    'not a url',
    '/local/path/repo.git',
    'https://gitlab.example.com/just-a-user',
    'file:///srv/g/p.git',
  ])('gives nothing for %j', (url) => {
    expect(parseOriginRemote(url)).toBeUndefined();
  });
});

describe('isProjectPath', () => {
  it('takes group/project paths and refuses anything that could leave a directory', () => {
    expect(isProjectPath('acme/platform/web-app')).toBe(true);
    expect(isProjectPath('acme/Web_App.v2')).toBe(true);
    for (const bad of [
      'project',
      'acme/../etc',
      'acme/./x',
      '/acme/x',
      'acme//x',
      'acme/x y',
      'acme/.hidden',
    ])
      expect(isProjectPath(bad)).toBe(false);
  });
});
