import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type RemoteDockerHost, startSshDockerHost, startTlsDockerHost } from '@glci/testkit';
import { type RunMachine, startRunMachine } from './glci-run.js';

const execFileAsync = promisify(execFile);

/**
 * A user's machine whose glci drives a "remote" Docker host (`@glci/testkit`'s fixtures: a dockerd
 * in a privileged container of the local engine, reached only over TLS on a loopback port or over
 * `ssh://`), configured as a user would: `[docker] host` (+ `tls_cert_path`), and for ssh the
 * fixture's key and known_hosts in the ssh client's configuration (the fixture's `ssh` first on
 * the PATH of glci and its daemon; see `SshDockerHost.sshConfig`).
 */
export interface RemoteRunMachine {
  readonly machine: RunMachine;
  readonly remote: RemoteDockerHost;
  /** The docker CLI against the remote engine; stdout, trimmed. */
  remoteDocker(args: readonly string[]): Promise<string>;
  /** The docker CLI against the local engine; stdout, trimmed. */
  localDocker(args: readonly string[]): Promise<string>;
  /** IDs of this machine's glci containers (its instance label), on either engine. */
  glciContainers(engine: 'local' | 'remote'): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startRemoteRunMachine(kind: 'tls' | 'ssh'): Promise<RemoteRunMachine> {
  const [machine, remote] = await Promise.all([
    startRunMachine(),
    kind === 'tls' ? startTlsDockerHost() : startSshDockerHost(),
  ]);
  const docker = ['[docker]', `host = "${remote.host}"`];
  if (remote.kind === 'tls') docker.push(`tls_cert_path = "${remote.client.dir}"`);
  else machine.env.PATH = remote.clientEnv.PATH!;
  appendFileSync(path.join(machine.sandbox.glciHome, 'config.toml'), [...docker, ''].join('\n'));
  const cli = (env: Readonly<Record<string, string>>) => async (args: readonly string[]) =>
    (
      await execFileAsync('docker', [...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
    ).stdout.trim();
  const remoteDocker = cli(remote.clientEnv);
  const localDocker = cli({});
  return {
    machine,
    remote,
    remoteDocker,
    localDocker,
    async glciContainers(engine) {
      const listed = await (engine === 'local' ? localDocker : remoteDocker)([
        'ps',
        '-a',
        '--no-trunc',
        '--filter',
        `label=dev.glci.instance=${machine.instance}`,
        '--format',
        '{{.ID}}',
      ]);
      return listed.split('\n').filter(Boolean);
    },
    async stop() {
      await machine.stop();
      await remote.remove();
    },
  };
}
