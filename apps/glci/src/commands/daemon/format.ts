import type { DaemonStatus } from '@glci/daemon/client';
import { shortBuildIdentity } from '@glci/daemon/client';

/** `45s`, `12m30s`, `2h15m`, `3d4h`: the seed's `up 2h15m`. */
export function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}

/** `glci daemon status` for people. */
export function formatStatus(status: DaemonStatus): string {
  const idle =
    status.idle.timeoutMs === 0
      ? 'never stops when idle'
      : status.idle.idleForMs === undefined
        ? `busy (stops after ${formatUptime(status.idle.timeoutMs)} idle)`
        : `idle for ${formatUptime(status.idle.idleForMs)} (stops at ${formatUptime(status.idle.timeoutMs)})`;
  const rows: [string, string][] = [
    ['state', status.stopping ? 'stopping' : 'running'],
    ['pid', String(status.pid)],
    ['uptime', formatUptime(status.uptimeMs)],
    ['commit', shortBuildIdentity(status.build)],
    ['socket', status.socket],
    ...(status.logFile ? [['log', status.logFile] as [string, string]] : []),
    ['idle', idle],
    ['active', status.activeWork.length === 0 ? 'nothing' : `${status.activeWork.length}`],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  for (const work of status.activeWork) {
    lines.push(
      `${''.padEnd(width)}  ${work.kind} ${work.id}${work.description ? `: ${work.description}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A daemon log line for people: the file has one JSON object per line (winston), shown as
 * `2026-11-23T08:00:00.000Z info message {"context":…}`; other lines as they are.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const { timestamp, level, message, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const context = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${String(timestamp ?? '')} ${String(level ?? '')} ${String(message ?? '')}${context}`.trim();
  } catch {
    return line;
  }
}
