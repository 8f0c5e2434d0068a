#!/usr/bin/env node
import { healthcheck, main } from './main.js';
import { SettingsError } from './settings.js';

const command = process.argv[2];
if (command === 'healthcheck') {
  process.exitCode = (await healthcheck()) ? 0 : 1;
} else if (command === undefined || command === 'serve') {
  try {
    await main();
  } catch (error) {
    // Configuration mistakes get one line and exit 2; anything else its stack and exit 1.
    const usage = error instanceof SettingsError || (error instanceof Error && error.name === 'ConfigError');
    process.stderr.write(
      `glci-mock: ${usage ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = usage ? 2 : 1;
  }
} else {
  process.stderr.write(
    'usage: glci-mock [serve | healthcheck]   (settings come from GLCI_MOCK_* variables)\n',
  );
  process.exitCode = 2;
}
