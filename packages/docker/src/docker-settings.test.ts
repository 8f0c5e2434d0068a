import { describe, expect, it } from 'vitest';
import { DockerSettingError, isDockerInDockerImage, refuseDindWithoutPrivileged } from './docker-settings.js';

describe('isDockerInDockerImage', () => {
  it.each([
    ['docker:dind', true],
    ['docker:27-dind', true],
    ['docker:dind-rootless', true],
    ['registry.example.com/mirror/docker:24-dind', true],
    ['docker:27', false],
    ['postgres:16', false],
    ['registry.dind.example.com/postgres:16', false],
  ])('%s → %s', (image, expected) => {
    expect(isDockerInDockerImage(image)).toBe(expected);
  });
});

describe('refuseDindWithoutPrivileged', () => {
  const jobs = [
    { name: 'test', services: ['postgres:16'] },
    { name: 'build image', services: [{ name: 'docker:27-dind' }] },
    { name: 'lint' },
  ];

  it('lets everything through when privileged containers are allowed', () => {
    expect(() => refuseDindWithoutPrivileged(jobs, { privileged: true })).not.toThrow();
  });

  it('lets jobs without Docker-in-Docker through when they are not', () => {
    expect(() => refuseDindWithoutPrivileged([jobs[0]!, jobs[2]!], { privileged: false })).not.toThrow();
  });

  it('refuses before anything starts, naming the job, its service and the setting', () => {
    let error: unknown;
    try {
      refuseDindWithoutPrivileged(jobs, { privileged: false, source: '~/.glci/config.toml' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DockerSettingError);
    expect(error).toMatchObject({
      setting: 'docker.privileged',
      message:
        'job "build image" (service docker:27-dind) needs Docker-in-Docker, which runs only in privileged containers, and [docker] privileged = false in ~/.glci/config.toml: nothing was started. Set privileged = true (the default), or leave that job out (--skip or [skip] jobs)',
    });
  });

  it('names every such job at once', () => {
    expect(() =>
      refuseDindWithoutPrivileged([...jobs, { name: 'push', services: ['docker:dind', 'redis:7'] }], {
        privileged: false,
      }),
    ).toThrow(
      'jobs "build image" (service docker:27-dind), "push" (service docker:dind) need Docker-in-Docker, which runs only in privileged containers, and [docker] privileged = false: nothing was started',
    );
  });
});
