import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { BUILT_BIN, type CliSandbox, createCliSandbox } from './test-support/run-glci.js';

// These run the built CLI (`pnpm build`, which turbo's `test` task runs first): what they check
// is the bundle itself, which the other tests, running the sources through tsx, never load.
const dist = path.dirname(BUILT_BIN);

function sandboxFor(context: TestContext, built: boolean): CliSandbox {
  const sandbox = createCliSandbox({ built });
  context.onTestFinished(() => sandbox.remove());
  return sandbox;
}

/** A project on `main` whose pipeline includes a local file and extends a hidden job. */
function writeProject(sandbox: CliSandbox): void {
  writeFileSync(path.join(sandbox.project, 'base.yml'), '.base:\n  image: alpine\n  script: [make]\n');
  writeFileSync(
    path.join(sandbox.project, '.gitlab-ci.yml'),
    'include: base.yml\nbuild:\n  extends: .base\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n',
  );
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: sandbox.project,
      env: {
        ...process.env,
        HOME: sandbox.home,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'a@example.com',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'a@example.com',
      },
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
}

describe('the bundled CLI (dist/bin.js, dist/cli.cjs)', () => {
  it('is a launcher running one esbuild bundle, its lazily imported commands split into chunks', () => {
    const text = readFileSync(BUILT_BIN, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // The launcher holds the loader, not the program; the bundle has the program inline.
    expect(text).toContain('cli.cjs');
    expect(text).not.toContain('function createProgram(');
    const cli = readFileSync(path.join(dist, 'cli.cjs'), 'utf8');
    expect(cli).not.toContain("from './program.js'");
    expect(cli).toContain('function createProgram(');
    const chunkFiles = readdirSync(path.join(dist, 'chunks'));
    expect(chunkFiles.filter((file) => file.endsWith('.cjs')).length).toBeGreaterThan(10);
    // CommonJS throughout: no ES module syntax is left for a vm.Script to choke on.
    for (const file of ['cli.cjs', ...chunkFiles.map((name) => `chunks/${name}`)]) {
      expect(readFileSync(path.join(dist, file), 'utf8'), file).not.toMatch(/^(import|export) /m);
    }
  });

  it('keeps V8 code cache under GLCI_HOME, starts from it, and replaces a damaged one', async (context) => {
    const sandbox = sandboxFor(context, true);
    const cacheRoot = path.join(sandbox.glciHome, 'code-cache');
    const cacheFiles = () => {
      const [build, ...others] = readdirSync(cacheRoot);
      expect(others).toEqual([]);
      const dir = path.join(cacheRoot, build!);
      return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.v8'))
        .sort()
        .map((file) => ({ file, path: path.join(dir, file), mtime: statSync(path.join(dir, file)).mtimeMs }));
    };
    expect(await sandbox.run(['version'], { GLCI_NO_CODE_CACHE: '1' })).toMatchObject({ code: 0 });
    expect(existsSync(cacheRoot)).toBe(false);

    expect(await sandbox.run(['version'])).toMatchObject({ code: 0, stderr: '' });
    const written = cacheFiles();
    expect(written.map(({ file }) => file)).toContain('cli.cjs.v8');
    const again = await sandbox.run(['version']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    // Nothing compiled from source, so nothing written again.
    expect(cacheFiles()).toEqual(written);

    const entry = written.find(({ file }) => file === 'cli.cjs.v8')!;
    const damaged = readFileSync(entry.path);
    const at = damaged.length - 10;
    damaged.writeUInt8(damaged.readUInt8(at) ^ 0xff, at);
    writeFileSync(entry.path, damaged);
    const afterDamage = await sandbox.run(['version']);
    expect(afterDamage).toMatchObject({ code: 0, stdout: again.stdout, stderr: '' });
    expect(readFileSync(entry.path).equals(damaged)).toBe(false);
  });

  it('prints the version from package.json and the build from dist/build-info.json', async (context) => {
    const sandbox = sandboxFor(context, true);
    const pkg = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const build = JSON.parse(readFileSync(path.join(dist, 'build-info.json'), 'utf8')) as { commit: string };
    const short = await sandbox.run(['--version']);
    expect(short).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const report = await sandbox.run(['version', '--json']);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      glci: pkg.version,
      commit: build.commit,
      buildSource: 'build',
    });
  });

  it('plans the same pipeline as the sources do', async (context) => {
    const built = sandboxFor(context, true);
    const sources = sandboxFor(context, false);
    writeProject(built);
    writeProject(sources);
    const args = ['show', '--json', '--context', 'branch=main'];
    const [fromBundle, fromSources] = await Promise.all([built.run(args), sources.run(args)]);
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.code).toBe(0);
    const plan = JSON.parse(fromBundle.stdout) as { jobs: { name: string; image?: unknown }[] };
    expect(plan.jobs.map((job) => job.name)).toEqual(['build']);
    // The sandboxes differ only in their paths and commits.
    const normalise = (result: { stdout: string }, sandbox: CliSandbox) =>
      JSON.parse(result.stdout.replaceAll(sandbox.home, '<home>'), (key, value) =>
        /sha|timestamp|id$/i.test(key) ? '<varies>' : value,
      );
    expect(normalise(fromBundle, built)).toEqual(normalise(fromSources, sources));
  });

  it('reports a configuration error as the sources do, without a stack', async (context) => {
    const sandbox = sandboxFor(context, true);
    sandbox.writeUserConfig('[registry\n');
    const result = await sandbox.run(['config']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^glci: invalid configuration\n/);
    expect(result.stderr).not.toMatch(/\n\s+at\s/);
  });
});
