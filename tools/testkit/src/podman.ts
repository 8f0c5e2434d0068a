import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BOUNDED_RUNC, capabilitiesWithheld } from './capabilities.js';
import { type ManagedProcess, spawnManaged, waitFor } from './processes.js';

const execFileAsync = promisify(execFile);

/** Where scripts/services.sh installs its runc wrapper on machines that withhold capabilities. */

/**
 * A Podman API service (`podman system service`, Debian's podman 4.3) on a socket of its own,
 * with its own storage (`--root`, `--runroot` in a temporary directory), so a test's images,
 * containers and volumes are its own. Networks are Podman's machine-wide configuration: tests
 * name theirs uniquely and remove them.
 */
export interface RunningPodman extends AsyncDisposable {
  /** `unix:///…/podman.sock`: the Docker-compatible endpoint to give glci. */
  readonly host: string;
  readonly socket: string;
  readonly dir: string;
  /** The podman CLI on the same storage (for set-up and checks). */
  podman(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** The podman CLI, or an error saying how to get it (never a skip: in CI a missing peer is a broken install). */
export async function requirePodman(): Promise<string> {
  try {
    const { stdout } = await execFileAsync('podman', ['--version']);
    return stdout.trim();
  } catch (error) {
    throw new Error(
      `these tests need Podman (Debian's podman, netavark and aardvark-dns; scripts/install.sh installs them): ${String(error)}`,
    );
  }
}

export async function startPodman(): Promise<RunningPodman> {
  await requirePodman();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-podman-'));
  const socket = path.join(dir, 'podman.sock');
  const globalArgs = [
    '--root',
    path.join(dir, 'root'),
    '--runroot',
    path.join(dir, 'run'),
    // No systemd here: cgroups directly, events in a file.
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') };
  const podman = async (args: readonly string[]) =>
    (await execFileAsync('podman', [...globalArgs, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stdout;
  await writeFile(path.join(dir, 'containers.conf'), '');

  const start = async (): Promise<ManagedProcess> => {
    const service = spawnManaged(
      'podman',
      [...globalArgs, 'system', 'service', '--time=0', `unix://${socket}`],
      env,
    );
    try {
      await waitFor('the Podman API service to answer', () => ping(socket), 30_000, 100);
    } catch (error) {
      await service.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${service.output()}`);
    }
    return service;
  };
  let service = await start();
  if (capabilitiesWithheld()) {
    // These machines' processes lack CAP_SYS_RESOURCE (see scripts/services.sh): a container may
    // not get higher rlimits than the service has (Podman asks for more by default), and
    // privileged containers need scripts/services.sh's runc wrapper, as dockerd does here.
    const limits = await readFile(`/proc/${service.child.pid}/limits`, 'utf8');
    await service.kill('SIGTERM');
    await writeFile(path.join(dir, 'containers.conf'), boundedContainersConf(limits));
    service = await start();
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // Containers outlive the API service (conmon holds them): remove them, then the storage.
      await podman(['rm', '--all', '--force', '--time', '0']).catch(() => undefined);
      await podman(['volume', 'rm', '--all', '--force']).catch(() => undefined);
      await service.kill('SIGTERM');
      await podman(['system', 'reset', '--force']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return { host: `unix://${socket}`, socket, dir, podman, stop, [Symbol.asyncDispose]: stop };
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** containers.conf for such machines: rlimits no higher than the service's own, and the runc wrapper. */
export function boundedContainersConf(serviceLimits: string): string {
  const hard = (name: string) =>
    /\s(\d+)\s+\S+\s*$/.exec(serviceLimits.split('\n').find((line) => line.startsWith(name)) ?? '')?.[1];
  const nofile = hard('Max open files');
  const nproc = hard('Max processes');
  const ulimits = [
    ...(nofile ? [`"nofile=${nofile}:${nofile}"`] : []),
    ...(nproc ? [`"nproc=${nproc}:${nproc}"`] : []),
  ];
  const runtime = existsSync(BOUNDED_RUNC)
    ? `[engine]\nruntime = "glci-runc-bounded"\n\n[engine.runtimes]\nglci-runc-bounded = ["${BOUNDED_RUNC}"]\n`
    : '';
  return `[containers]\ndefault_ulimits = [${ulimits.join(', ')}]\n\n${runtime}`;
}
