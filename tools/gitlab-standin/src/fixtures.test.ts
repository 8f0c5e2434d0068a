import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { InstanceFixture } from './fixture-types.js';
import { DEFAULT_FIXTURES_DIR } from './standin.js';

/** Every CI file the fixtures hold, so that phase 2's planning tests start from valid YAML. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

const reference = { tag: '!reference', collection: 'seq' as const, resolve: (value: unknown) => value };

describe('the shipped fixtures', () => {
  const files = yamlFiles(DEFAULT_FIXTURES_DIR);

  it('hold the CI files of a real-looking instance', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files.map((file) => [path.relative(DEFAULT_FIXTURES_DIR, file), file]))(
    '%s is valid YAML',
    (_name, file) => {
      const documents = parseAllDocuments(readFileSync(file!, 'utf8'), { customTags: [reference] });
      for (const document of Array.isArray(documents) ? documents : [documents]) {
        expect(document.errors.map((error) => error.message)).toEqual([]);
      }
    },
  );

  it('describe every project, release, template and token consistently', () => {
    const instance = JSON.parse(
      readFileSync(path.join(DEFAULT_FIXTURES_DIR, 'instance.json'), 'utf8'),
    ) as InstanceFixture;
    const usernames = new Set(instance.users.map((user) => user.username));
    for (const token of instance.tokens) expect(usernames).toContain(token.username);
    for (const project of instance.projects) {
      const tags = new Set(project.commits.flatMap((commit) => commit.tags ?? []));
      for (const release of project.releases ?? []) expect(tags).toContain(release.tag);
      for (const member of Object.keys(project.members ?? {})) expect(usernames).toContain(member);
    }
    for (const template of instance.templates) {
      expect(
        statSync(path.join(DEFAULT_FIXTURES_DIR, 'templates', `${template}.gitlab-ci.yml`)).isFile(),
      ).toBe(true);
    }
  });
});
