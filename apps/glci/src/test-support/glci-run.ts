import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type CountingProxy,
  ensureMockImage,
  ensureTestImages,
  freePort,
  LOCAL_RUNNER_CONFIG_LINES,
  RUNNER_IMAGES,
  type RunningDistribution,
  run,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import bcrypt from 'bcryptjs';
import { type CliSandbox, createCliSandbox, type GlciResult } from './run-glci.js';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
const bin = path.join(repoRoot, 'apps/glci/src/bin.ts');

/**
 * What the examples' images are on Docker Hub, and the locally built images that stand in for
 * them here (nothing can be pulled on these machines): the upstream below serves them under the
 * Docker Hub names, as `library/…`.
 */
/** The upstream's only user. The password has a `$`, written `$$` in config.toml. */
export const HUB_LOGIN = { username: 'hub-user', password: 'hub-pa$word' } as const;

/** `Authorization` for requests a test itself makes to the upstream. */
export const HUB_AUTHORIZATION = `Basic ${Buffer.from(`${HUB_LOGIN.username}:${HUB_LOGIN.password}`).toString('base64')}`;

export const HUB_IMAGES: Readonly<Record<string, string>> = {
  'library/alpine:3.20': RUNNER_IMAGES.dockerCli,
  'library/docker:27': RUNNER_IMAGES.dockerCli,
  'library/docker:27-dind': RUNNER_IMAGES.dind,
  'library/nginx:alpine': RUNNER_IMAGES.httpService,
};

/**
 * A user's machine for `glci run` tests: a CLI sandbox (HOME, GLCI_HOME) whose config points the
 * runner at the locally built images, with an instance of its own (`GLCI_INSTANCE`: its own mock,
 * runner, volumes and port), and CNCF distribution standing in for Docker Hub as the only
 * pull-through upstream (and the push-through mirror's upstream), behind a counter (on the bridge gateway, where the mock's container
 * reaches it). Like a Docker Hub account that avoids the rate limits, it wants a login: the
 * config carries {@link HUB_LOGIN}, and every pull and mirror push in these tests proves the
 * mock container received it.
 */
export interface RunMachine {
  readonly sandbox: CliSandbox;
  readonly instance: string;
  readonly port: number;
  readonly upstream: CountingProxy;
  /** Copies `examples/<name>` into a git repository of its own (origin examples/<name>). */
  project(name: string): Promise<string>;
  /** A project from files given here. */
  projectFrom(name: string, files: Readonly<Record<string, string>>): Promise<string>;
  glci(args: readonly string[], dir: string): Promise<GlciResult>;
  /** `glci` as a child process the test can signal. */
  spawnGlci(args: readonly string[], dir: string): ReturnType<typeof spawn>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startRunMachine(options: { readonly idleTimeout?: string } = {}): Promise<RunMachine> {
  await ensureTestImages();
  const mockImage = await ensureMockImage();
  const sandbox = createCliSandbox();
  const instance = `t${Math.random().toString(36).slice(2, 8)}`;
  const port = await freePort();
  const htpasswd = path.join(sandbox.home, 'upstream.htpasswd');
  writeFileSync(htpasswd, `${HUB_LOGIN.username}:${bcrypt.hashSync(HUB_LOGIN.password, 4)}\n`);
  const distribution: RunningDistribution = await startDistribution({
    extraConfig: `auth:\n  htpasswd:\n    realm: glci-test-hub\n    path: ${htpasswd}\n`,
  });
  const gateway = (
    await execFileAsync('docker', [
      'network',
      'inspect',
      'bridge',
      '--format',
      '{{(index .IPAM.Config 0).Gateway}}',
    ])
  ).stdout.trim();
  const upstream = await startCountingProxy(distribution.url, { host: gateway || '172.17.0.1' });
  for (const [name, image] of Object.entries(HUB_IMAGES)) {
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${HUB_LOGIN.username}:${HUB_LOGIN.password}`,
      `docker-daemon:${image}`,
      `docker://${distribution.host}/${name}`,
    ]);
  }
  upstream.reset();
  // Docker Hub names a previous run tagged locally from the stand-ins (never a real image: only
  // one carrying the label the local test images have) would spare the pull this run counts.
  for (const name of Object.keys(HUB_IMAGES)) {
    const local = name.replace(/^library\//, '');
    const inspected = await execFileAsync('docker', [
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "dev.glci.test-image"}}',
      local,
    ]).catch(() => undefined);
    if (inspected?.stdout.trim())
      await execFileAsync('docker', ['image', 'rm', local]).catch(() => undefined);
  }
  sandbox.writeUserConfig(
    [
      ...LOCAL_RUNNER_CONFIG_LINES,
      '[mock]',
      `image = "${mockImage}"`,
      '',
      '[[registry.upstreams]]',
      `url = "${upstream.url}"`,
      `username = "${HUB_LOGIN.username}"`,
      `password = "${HUB_LOGIN.password.replaceAll('$', '$$$$')}"`,
      '',
      // Where `glci run --push-through` mirrors pushes (off unless a run asks).
      '[registry.upstream]',
      `url = "${upstream.url}"`,
      `username = "${HUB_LOGIN.username}"`,
      `password = "${HUB_LOGIN.password.replaceAll('$', '$$$$')}"`,
      '',
      '[network]',
      `mock_server_port = ${port}`,
      '',
      '[daemon]',
      `idle_timeout = "${options.idleTimeout ?? '10m'}"`,
      '',
    ].join('\n'),
  );
  const env = { GLCI_INSTANCE: instance, NO_COLOR: '1' };
  const git = (dir: string, ...args: string[]) =>
    execFileAsync('git', ['-C', dir, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args]);
  const initRepository = async (name: string, dir: string) => {
    await git(dir, 'init', '-q', '-b', 'main');
    await git(dir, 'remote', 'add', 'origin', `https://gitlab.example.com/examples/${name}.git`);
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', `The ${name} project`);
  };
  const machine: RunMachine = {
    sandbox,
    instance,
    port,
    upstream,
    env,
    async project(name) {
      const dir = path.join(sandbox.home, 'work', name);
      cpSync(path.join(repoRoot, 'examples', name), dir, { recursive: true });
      await initRepository(name, dir);
      return dir;
    },
    async projectFrom(name, files) {
      const dir = path.join(sandbox.home, 'work', name);
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(dir, file);
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      await initRepository(name, dir);
      return dir;
    },
    glci: (args, dir) => sandbox.run(args, env, dir),
    spawnGlci: (args, dir) =>
      spawn(tsx, ['--conditions=source', bin, ...args], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: sandbox.home,
          DOCKER_CONFIG: sandbox.dockerConfig,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    async stop() {
      await sandbox.run(['daemon', 'stop', '--force'], env).catch(() => undefined);
      await sandbox
        .run(['system', 'prune', '--all', '--force', '--instance', instance], env)
        .catch(() => undefined);
      await upstream.stop();
      await distribution.stop();
      sandbox.remove();
    },
  };
  return machine;
}

/** The NDJSON events of `glci run --json`. */
export function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Each job's final state in the root pipeline, from `glci run --json`. */
export function finalStates(stdout: string, pipelineId?: number): Record<string, string> {
  const states: Record<string, string> = {};
  for (const event of events(stdout)) {
    if (event.type !== 'job') continue;
    if (pipelineId !== undefined && event.pipelineId !== pipelineId) continue;
    states[String(event.name)] = event.allowedFailure ? 'failed (allowed)' : String(event.status);
  }
  return states;
}

/** A job's log text from `glci run --json`. */
export function jobLog(stdout: string, name: string): string {
  return events(stdout)
    .filter((event) => event.type === 'trace' && event.name === name)
    .map((event) => String(event.text))
    .join('');
}

/**
 * What a job's containers wrote, as `glci run --json` showed it live (its `live` events), per
 * stream, in order.
 */
export function liveOutput(stdout: string, name: string): { stdout: string; stderr: string } {
  const live = events(stdout).filter((event) => event.type === 'live' && event.name === name);
  return {
    stdout: live
      .filter((event) => event.stream === 'stdout')
      .map((event) => String(event.text))
      .join(''),
    stderr: live
      .filter((event) => event.stream === 'stderr')
      .map((event) => String(event.text))
      .join(''),
  };
}

/**
 * What a job's containers wrote, as the runner's log holds it: the records of its work stream
 * (`01O`, `01E` with `FF_TIMESTAMPS`), headers removed, a record's `\n` dropped where the next
 * record of that stream continues the line (`+`), as the runner writes partial lines.
 */
export function containerOutputInLog(raw: string): { stdout: string; stderr: string } {
  const text = { O: '', E: '' };
  for (const record of raw.split('\n')) {
    const header = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 01([OE])([ +])/.exec(record);
    if (!header) continue;
    const stream = header[1] as 'O' | 'E';
    if (header[2] === '+' && text[stream].endsWith('\n')) text[stream] = text[stream].slice(0, -1);
    text[stream] += `${record.slice(header[0].length)}\n`;
  }
  return { stdout: text.O, stderr: text.E };
}
