/**
 * Prints the `daemon.json` glci generates for a dockerd that pulls through a glci registry:
 *
 *   daemon-json <registry host:port> [settings.json]
 *
 * `settings.json` holds the daemon's other settings (`hosts`, `log-level`, ...), merged in.
 * scripts/services.sh starts the test host's dockerd from this output
 * (`tsx --conditions=source packages/docker/src/bin/daemon-json.ts 127.0.0.1:39749 scripts/dockerd.json`).
 */
import { readFileSync } from 'node:fs';
import { dindDaemonJson } from '../dind.js';

const [registryHost, settingsFile, ...rest] = process.argv.slice(2);
if (!registryHost || rest.length > 0) {
  process.stderr.write('usage: daemon-json <registry host:port> [settings.json]\n');
  process.exit(2);
}
try {
  const extra = settingsFile
    ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)
    : {};
  process.stdout.write(dindDaemonJson(registryHost, extra));
} catch (error) {
  process.stderr.write(`daemon-json: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
