#!/usr/bin/env node
// Each command loads only what it needs: `tunnel` starts once per connection the daemon opens,
// so it must not pay for the server's modules.
const command = process.argv[2];
if (command === 'tunnel') {
  const { runTunnel, tunnelPort } = await import('./tunnel.js');
  try {
    process.exitCode = await runTunnel({
      port: tunnelPort(process.env),
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (error) {
    process.stderr.write(`glci-mock tunnel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
} else if (command === 'healthcheck') {
  const { healthcheck } = await import('./healthcheck.js');
  process.exitCode = (await healthcheck()) ? 0 : 1;
} else if (command === undefined || command === 'serve') {
  const [{ main }, { SettingsError }] = await Promise.all([import('./main.js'), import('./settings.js')]);
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
    'usage: glci-mock [serve | healthcheck | tunnel]   (settings come from GLCI_MOCK_* variables)\n',
  );
  process.exitCode = 2;
}

export {};
