import { ConfigError, resolveDaemon } from '@glci/config';
import { type BuildInfo, buildIdentity, DaemonClient, shortBuildIdentity } from '@glci/daemon/client';
import { cliBuildInfo } from '../build-info.js';
import type { CliContext } from '../cli-context.js';
import { cliVersion } from './cli-version.js';
import { formatUptime } from './daemon/format.js';

export type DaemonVersion =
  | {
      readonly running: true;
      readonly commit: string;
      readonly dirty?: string;
      readonly pid: number;
      readonly startedAt: string;
      readonly uptimeMs: number;
      /** Whether it is the same build as this CLI (else it is restarted when next idle). */
      readonly sameBuild: boolean;
    }
  | { readonly running: false; readonly socket: string }
  | { readonly running: null; readonly error: string };

export interface VersionReport {
  readonly glci: string;
  readonly commit: string;
  readonly dirty?: string;
  readonly buildSource: BuildInfo['source'];
  readonly node: string;
  readonly platform: string;
  readonly daemon: DaemonVersion;
}

export async function versionReport(ctx: CliContext): Promise<VersionReport> {
  const build = cliBuildInfo();
  return {
    glci: cliVersion(),
    commit: build.commit,
    ...(build.dirty ? { dirty: build.dirty } : {}),
    buildSource: build.source,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    daemon: await daemonVersion(ctx, build),
  };
}

async function daemonVersion(ctx: CliContext, build: BuildInfo): Promise<DaemonVersion> {
  let socket: string;
  try {
    socket = resolveDaemon(ctx.config(), ctx.env, { cwd: ctx.cwd }).socket;
  } catch (error) {
    if (error instanceof ConfigError)
      return { running: null, error: 'the configuration is invalid (glci config shows why)' };
    throw error;
  }
  try {
    const status = await new DaemonClient({ socketPath: socket, timeoutMs: 5000 }).ping();
    if (!status) return { running: false, socket };
    return {
      running: true,
      commit: status.build.commit,
      ...(status.build.dirty ? { dirty: status.build.dirty } : {}),
      pid: status.pid,
      startedAt: status.startedAt,
      uptimeMs: status.uptimeMs,
      sameBuild: status.build.identity === buildIdentity(build),
    };
  } catch (error) {
    return { running: null, error: error instanceof Error ? error.message : String(error) };
  }
}

export function formatVersionReport(report: VersionReport): string {
  const glci = `glci    ${report.glci} commit ${shortBuildIdentity(report)} (node ${report.node}, ${report.platform})`;
  const { daemon } = report;
  const line =
    daemon.running === true
      ? `daemon  commit ${shortBuildIdentity(daemon)} (pid ${daemon.pid}, up ${formatUptime(daemon.uptimeMs)}${daemon.sameBuild ? '' : '; another build: restarted when idle'})`
      : daemon.running === false
        ? 'daemon  not running'
        : `daemon  unknown: ${daemon.error}`;
  return `${glci}\n${line}\n`;
}
