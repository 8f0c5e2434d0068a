import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { BOUNDED_RUNC, capabilitiesWithheld } from './capabilities.js';
import { requireDocker } from './docker.js';
import { run, spawnManaged, waitFor } from './processes.js';
import {
  createCertificateAuthority,
  createClientCertificate,
  type TestCertificate,
  type TestCertificateAuthority,
} from './tls-certificates.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** The image of both remote hosts (scripts/build-remote-host-images.sh). */
export const REMOTE_HOST_IMAGE = 'glci-test/remote-host:20.10-local';

/** The label every remote-host fixture container carries (and nothing of glci's: prunes leave them alone). */
export const REMOTE_HOST_LABEL = 'dev.glci.test-fixture';

/**
 * A "remote" Docker host on this machine: a privileged container on the local engine running its
 * own dockerd (Debian's 20.10, the locally built DinD image), whose Engine API is reachable only
 * as a real remote host's would be: over TLS on a loopback port, or through sshd. Containers
 * started through it run inside that dockerd, never on the local engine. Dispose to remove it
 * (with its anonymous /var/lib/docker volume) and its temporary files.
 */
export interface RemoteDockerHost extends AsyncDisposable {
  readonly kind: 'tls' | 'ssh';
  /** The endpoint to give glci: `tcp://127.0.0.1:<port>` or `ssh://root@127.0.0.1:<port>`. */
  readonly host: string;
  /** The fixture container on the local engine (name and id). */
  readonly container: { readonly name: string; readonly id: string };
  /** Scratch directory of this fixture (certificates, keys, known_hosts). */
  readonly dir: string;
  /**
   * The environment under which the `docker` CLI (and glci) talks to this host as a user set up
   * for it would: DOCKER_HOST plus the TLS variables, or, for ssh, a PATH whose `ssh` uses this
   * fixture's key and known_hosts (see {@link SshDockerHost.sshConfig}).
   */
  readonly clientEnv: Readonly<Record<string, string>>;
  remove(): Promise<void>;
}

export interface TlsDockerHost extends RemoteDockerHost {
  readonly kind: 'tls';
  /** The CA that signed the daemon's certificate (and `client`'s). */
  readonly authority: TestCertificateAuthority;
  /** A client certificate the daemon accepts, as a DOCKER_CERT_PATH directory. */
  readonly client: TestCertificate;
}

export interface SshDockerHost extends RemoteDockerHost {
  readonly kind: 'ssh';
  /** The private key authorised on the host (ed25519, no passphrase). */
  readonly identity: string;
  /** A known_hosts file holding the host's key under `[127.0.0.1]:<port>`. */
  readonly knownHosts: string;
  /** `ssh` arguments that use exactly `identity` and `knownHosts` and ignore the machine's ~/.ssh/config. */
  readonly sshArgs: readonly string[];
  /**
   * An ssh_config naming `identity` and `knownHosts` for this host, as a user's ~/.ssh/config
   * would, and a directory (`sshBin`) holding an `ssh` that is the real OpenSSH client run with
   * `-F sshConfig`. OpenSSH reads ~/.ssh from the passwd entry, never from $HOME, so a test's
   * HOME cannot carry it, and writing the machine user's ~/.ssh is not for tests: processes that
   * run `ssh` themselves (glci's daemon, the docker CLI) get `sshBin` first on PATH instead.
   */
  readonly sshConfig: string;
  readonly sshBin: string;
}

/**
 * A remote host whose dockerd listens with `--tlsverify` on a loopback port: a CA made for this
 * test signs the daemon's certificate (the DinD image's entrypoint makes it, with 127.0.0.1 among
 * its names, from the CA it finds in /certs/ca) and a client certificate.
 */
export async function startTlsDockerHost(): Promise<TlsDockerHost> {
  const docker = await requireDocker();
  await buildRemoteHostImage();
  const id = randomBytes(4).toString('hex');
  const dir = await mkdtemp(path.join(os.tmpdir(), `glci-remote-tls-${id}-`));
  const authority = await createCertificateAuthority(path.join(dir, 'authority'), `glci remote ${id} CA`);
  const client = await createClientCertificate(authority, path.join(dir, 'client'));
  // The entrypoint keeps a CA it finds in $DOCKER_TLS_CERTDIR/ca and signs the server's certificate with it.
  const certs = path.join(dir, 'certs');
  await mkdir(path.join(certs, 'ca'), { recursive: true });
  await writeFile(path.join(certs, 'ca', 'cert.pem'), await readFile(authority.cert));
  await writeFile(path.join(certs, 'ca', 'key.pem'), await readFile(authority.key));
  const name = `glci-fixture-${id}-tls`;
  const container = await startHostContainer(docker, {
    name,
    image: REMOTE_HOST_IMAGE,
    // The DinD image's own entrypoint: dockerd with TLS on 2376, no sshd.
    entrypoint: [DIND_ENTRYPOINT],
    port: 2376,
    binds: [`${certs}:/certs`],
    env: ['DOCKER_TLS_CERTDIR=/certs'],
    dir,
  });
  const host = `tcp://127.0.0.1:${container.port}`;
  const remote = new Docker({
    host: '127.0.0.1',
    port: container.port,
    protocol: 'https',
    ca: await readFile(client.ca),
    cert: await readFile(client.cert),
    key: await readFile(client.key),
  });
  await waitUntilServing(docker, container, `${name}'s dockerd at ${host}`, () =>
    remote.ping().then(() => true),
  );
  const clientEnv = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: client.dir };
  return fixture({ kind: 'tls', host, container, dir, authority, client, clientEnv }, docker);
}

/**
 * A remote host reached over `ssh://root@127.0.0.1:<port>`: sshd (public-key only) in front of a
 * dockerd on its unix socket only. The host key and the client key are generated for this test.
 */
export async function startSshDockerHost(): Promise<SshDockerHost> {
  const docker = await requireDocker();
  await buildRemoteHostImage();
  const id = randomBytes(4).toString('hex');
  const dir = await mkdtemp(path.join(os.tmpdir(), `glci-remote-ssh-${id}-`));
  const sshDir = path.join(dir, 'ssh');
  await mkdir(sshDir, { recursive: true });
  const identity = path.join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `glci-test-${id}`, '-f', identity]);
  await run('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `glci-host-${id}`,
    '-f',
    path.join(sshDir, 'host_ed25519_key'),
  ]);
  await writeFile(path.join(sshDir, 'authorized_keys'), await readFile(`${identity}.pub`));
  const name = `glci-fixture-${id}-ssh`;
  const container = await startHostContainer(docker, {
    name,
    image: REMOTE_HOST_IMAGE,
    port: 22,
    binds: [`${sshDir}:/ssh:ro`],
    env: [],
    dir,
  });
  const knownHosts = path.join(dir, 'known_hosts');
  const hostKey = (await readFile(path.join(sshDir, 'host_ed25519_key.pub'), 'utf8')).trim();
  await writeFile(knownHosts, `[127.0.0.1]:${container.port} ${hostKey}\n`);
  const sshArgs = [
    '-F',
    '/dev/null',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    identity,
  ];
  const host = `ssh://root@127.0.0.1:${container.port}`;
  const sshConfig = path.join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    [
      `Host 127.0.0.1`,
      `  IdentityFile ${identity}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '',
    ].join('\n'),
  );
  const sshBin = path.join(dir, 'bin');
  await mkdir(sshBin);
  await writeFile(
    path.join(sshBin, 'ssh'),
    `#!/bin/sh\nexec ${shellQuote(await realSsh())} -F ${shellQuote(sshConfig)} "$@"\n`,
    { mode: 0o755 },
  );
  const clientEnv = { DOCKER_HOST: host, PATH: `${sshBin}${path.delimiter}${process.env.PATH ?? ''}` };
  await waitUntilServing(docker, container, `${name}'s sshd and dockerd at ${host}`, async () => {
    await run(
      'ssh',
      [
        ...sshArgs,
        '-o',
        'BatchMode=yes',
        '-p',
        String(container.port),
        'root@127.0.0.1',
        'docker',
        'version',
      ],
      { timeoutMs: 15_000 },
    );
    return true;
  });
  return fixture(
    { kind: 'ssh', host, container, dir, identity, knownHosts, sshArgs, sshConfig, sshBin, clientEnv },
    docker,
  );
}

/** An ssh-agent on a socket of its own holding `keys`, for the agent path of ssh:// (SSH_AUTH_SOCK). */
export async function startSshAgent(keys: readonly string[]): Promise<{ socket: string } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-ssh-agent-'));
  const socket = path.join(dir, 'agent.sock');
  const agent = spawnManaged('ssh-agent', ['-D', '-a', socket], { ...process.env });
  const stop = async () => {
    await agent.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('ssh-agent to listen', async () => {
      const listed = await sshAdd(['-l'], socket).catch((error: Error) => error.message);
      // "The agent has no identities." (exit 1) means it answers.
      return /no identities/.test(listed);
    });
    for (const key of keys) await sshAdd([key], socket);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, [Symbol.asyncDispose]: stop };
}

function sshAdd(args: readonly string[], socket: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'ssh-add',
      [...args],
      { env: { ...process.env, SSH_AUTH_SOCK: socket }, timeout: 10_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`ssh-add ${args.join(' ')}: ${`${stdout}${stderr}`.trim() || error.message}`))
          : resolve(stdout),
    ),
  );
}

/** The DinD base image's entrypoint (scripts/images/dind-entrypoint.sh). */
const DIND_ENTRYPOINT = '/usr/local/bin/dockerd-entrypoint.sh';

let imageBuilt: Promise<unknown> | undefined;

/** Once per process (both fixtures need it; they start side by side). */
function buildRemoteHostImage(): Promise<unknown> {
  imageBuilt ??= run('bash', [path.join(repoRoot, 'scripts/build-remote-host-images.sh')], {
    timeoutMs: 600_000,
  }).catch((error: unknown) => {
    imageBuilt = undefined;
    throw error;
  });
  return imageBuilt;
}

/** The OpenSSH client on PATH (the wrapper names it by path so that it does not run itself). */
async function realSsh(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'ssh');
    if (
      dir &&
      (await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  throw new Error('the OpenSSH client (ssh) is not on PATH: install openssh-client');
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

interface HostContainer {
  readonly name: string;
  readonly id: string;
  readonly port: number;
}

/** Creates and starts the privileged host container with `port` published on a free loopback port. */
async function startHostContainer(
  docker: Docker,
  spec: {
    name: string;
    image: string;
    entrypoint?: string[];
    port: number;
    binds: string[];
    env: string[];
    dir: string;
  },
): Promise<HostContainer> {
  const portKey = `${spec.port}/tcp`;
  let created: Docker.Container | undefined;
  // Arguments to the host's dockerd (both entrypoints pass theirs on).
  const dockerdArgs = capabilitiesWithheld()
    ? ['--add-runtime', `runc-bounded=${BOUNDED_RUNC}`, '--default-runtime', 'runc-bounded']
    : [];
  try {
    created = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      Cmd: dockerdArgs,
      Env: spec.env,
      Labels: { [REMOTE_HOST_LABEL]: 'remote-docker-host' },
      ExposedPorts: { [portKey]: {} },
      HostConfig: {
        // dockerd inside a container needs it (as docker:dind); a second dockerd directly on this
        // machine would delete the host daemon's docker0 bridge.
        Privileged: true,
        Binds: spec.binds,
        PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    await created.start();
    const info = await created.inspect();
    const published = info.NetworkSettings.Ports[portKey]?.[0]?.HostPort;
    if (!published) throw new Error(`${spec.name}: port ${portKey} was not published`);
    return { name: spec.name, id: info.Id, port: Number(published) };
  } catch (error) {
    await created?.remove({ force: true, v: true }).catch(() => undefined);
    await rm(spec.dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitUntilServing(
  docker: Docker,
  container: HostContainer,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  try {
    await waitFor(what, check, 90_000, 250);
  } catch (error) {
    const logs = await docker
      .getContainer(container.id)
      .logs({ stdout: true, stderr: true, tail: 30 })
      .then((buffer) => buffer.toString('utf8'))
      .catch(() => '');
    await docker
      .getContainer(container.id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
    throw new Error(`${(error as Error).message}\nlast log lines of ${container.name}:\n${logs}`);
  }
}

function fixture<T extends Omit<RemoteDockerHost, 'remove' | typeof Symbol.asyncDispose | 'container'>>(
  base: T & { container: HostContainer },
  docker: Docker,
): T & RemoteDockerHost {
  let removed: Promise<void> | undefined;
  const remove = () => {
    removed ??= (async () => {
      await docker
        .getContainer(base.container.id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
      await rm(base.dir, { recursive: true, force: true });
    })();
    return removed;
  };
  return {
    ...base,
    container: { name: base.container.name, id: base.container.id },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}
