import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';

const FILE = '/home/me/.glci/config.toml';

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, { file: FILE, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('[runners.NAME]', () => {
  it('is empty by default', () => {
    expect(parseConfig('', { env: {} }).runners).toEqual({});
  });

  it("takes GitLab's run_untagged default: false with tags, true without", () => {
    const config = parseConfig(
      `
[runners.gpu]
tags = ["gpu", "gpu", " cuda "]
concurrent = 2
image = "nvidia/cuda:12.4.1-base-ubuntu22.04"
helper_image = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.9.0"
privileged = false
volumes = ["/data:/data:ro", "models:/models", "/scratch"]

[runners.plain]

[runners.both]
tags = ["docker"]
run_untagged = true
`,
      { env: {} },
    );
    expect(config.runners.gpu).toEqual({
      tags: ['gpu', 'cuda'],
      run_untagged: false,
      concurrent: 2,
      image: 'nvidia/cuda:12.4.1-base-ubuntu22.04',
      helper_image: 'registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.9.0',
      privileged: false,
      volumes: ['/data:/data:ro', 'models:/models', '/scratch'],
    });
    expect(config.runners.plain).toEqual({ tags: [], run_untagged: true, volumes: [] });
    expect(config.runners.both?.run_untagged).toBe(true);
  });

  it('refuses a runner that could never run a job, as GitLab does', () => {
    expect(errorsOf('[runners.idle]\nrun_untagged = false\n')).toEqual([
      `${FILE}: runners.idle.run_untagged: a runner with run_untagged = false needs tags, or it could never run a job (GitLab refuses it too)`,
    ]);
  });

  it('names the file, the key and what was expected', () => {
    expect(errorsOf('[runners."has space"]\n')).toEqual([
      `${FILE}: runners.has space: expected a runner name of letters, digits, "_", "." and "-" (at most 63), e.g. "gpu", got "has space"`,
    ]);
    const errors = errorsOf(
      `
[runners.big]
tags = ["a,b", ""]
concurrent = 0
volumes = ["relative:path"]
tag = "x"
`,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        `${FILE}: runners.big.tags[0]: a tag cannot contain ",", got "a,b"`,
        `${FILE}: runners.big.tags[1]: must have at least 1 characters, got ""`,
        `${FILE}: runners.big.concurrent: must be at least 1, got 0`,
        `${FILE}: runners.big.volumes[0]: expected "/container/path", "name:/container/path" or "/host/path:/container/path[:ro|rw]", got "relative:path"`,
        `${FILE}: runners.big.tag: unknown key (did you mean "tags"?)`,
      ]),
    );
    expect(errors).toHaveLength(5);
  });

  it('caps the tags at GitLab’s 50', () => {
    const tags = Array.from({ length: 51 }, (_, index) => `"t${index}"`).join(', ');
    expect(errorsOf(`[runners.many]\ntags = [${tags}]\n`)[0]).toContain('runners.many.tags');
  });
});

describe('[projects."group/proj".runners.NAME]', () => {
  it('gives a project runners of its own, with or without a local checkout', () => {
    const config = parseConfig(
      `
[projects."group/app".runners.deploy]
tags = ["deploy"]

[projects."group/lib"]
dir = "/src/lib"
`,
      { env: {} },
    );
    expect(config.projects['group/app']).toEqual({
      runners: { deploy: { tags: ['deploy'], run_untagged: false, volumes: [] } },
    });
    expect(config.projects['group/lib']).toEqual({ dir: '/src/lib', runners: {} });
  });
});
