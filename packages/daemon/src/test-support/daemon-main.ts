/**
 * A daemon process for tests: `runDaemon` with settings from GLCI_TEST_DAEMON (JSON), as
 * `glci daemon run` does with the user's configuration. GLCI_TEST_BUSY=1 adds a service that
 * reports one active pipeline until it is stopped.
 */
import type { ResolvedDaemon } from '@glci/config';
import type { BuildInfo } from '../build-info.js';
import { runDaemon } from '../daemon-process.js';
import type { DaemonService } from '../server/daemon-service.js';

interface TestDaemonSettings {
  readonly settings: ResolvedDaemon;
  readonly glciHome: string;
  readonly build: BuildInfo;
}

const { settings, glciHome, build } = JSON.parse(process.env.GLCI_TEST_DAEMON ?? '{}') as TestDaemonSettings;
const services: DaemonService[] = [];
if (process.env.GLCI_TEST_BUSY === '1') {
  let busy = true;
  services.push({
    name: 'pipelines',
    activeWork: () => (busy ? [{ kind: 'pipeline', id: '7', description: 'app: test running' }] : []),
    stop: async () => {
      busy = false;
    },
  });
}
const socket = process.env.GLCI_DAEMON_SOCK;
process.exitCode = await runDaemon({
  settings: socket ? { ...settings, socket } : settings,
  glciHome,
  build,
  services,
  logLevel: 'debug',
});
