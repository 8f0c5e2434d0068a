import { type Command, Option } from 'commander';
import type { CliContext } from '../../cli-context.js';
import { type Confirm, confirmOnTerminal } from '../system/confirm.js';
import { UsageError } from './usage-error.js';

// The implementations (and @glci/registry, @glci/proxy behind them) load only when a registry
// command runs, so `glci --help`, `glci config` and `glci version` start fast.
const loadServe = () => import('./serve.js');
const loadMaintenance = () => import('./maintenance.js');
const loadEmbedded = () => import('./embedded.js');

/** `glci registry serve | list | stats | gc | pull | clean`. */
export function registerRegistryCommand(
  program: Command,
  context: () => CliContext,
  confirm: Confirm = confirmOnTerminal,
): void {
  const registry = program
    .command('registry')
    .description(
      "run the OCI registry standalone, inspect or clean its storage, and pull from or clean glci's embedded registry",
    );
  registerEmbeddedCommands(registry, context, confirm);

  registry
    .command('serve')
    .description('serve an OCI distribution registry until SIGINT/SIGTERM; prints the bound URL')
    .option('--listen <host:port>', 'address to bind (port 0 picks a free port)', '127.0.0.1:5000')
    .option(
      '--storage <dir|url>',
      'storage: a directory, file:///dir, memory: or s3://bucket/prefix?endpoint=... (default: registry.storage from the config)',
    )
    .option('--auth <mode>', 'none, basic:HTPASSWD or token:HTPASSWD (bcrypt hashes only)', 'none')
    .option(
      '--anonymous-pull',
      'pulls need no credentials, pushes and deletes do (for anonymous docker pulls use --auth token:FILE)',
    )
    .option(
      '--secret-file <file>',
      'shared secret signing upload URLs and tokens (default: $GLCI_REGISTRY_SECRET, else ~/.glci/registry.secret)',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--no-delete', 'refuse DELETE of manifests, tags and blobs (405 UNSUPPORTED)')
    .option('--read-only', 'refuse pushes and deletes')
    .option('--no-metrics', 'do not serve /metrics')
    .option(
      '--metrics-listen <host:port>',
      'serve /metrics on this address instead of next to the API (then it needs no credentials there)',
    )
    .option(
      '--token-realm <url>',
      'with --auth token: the token endpoint URL clients are sent to (default: the bound address + /auth/token; required with a wildcard --listen)',
    )
    .addOption(
      new Option(
        '--upstream <url>',
        'pull-through cache over this upstream registry (repeat for several, in order)',
      )
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    )
    .option('--proxy', 'pull-through cache over the configured registry.upstreams')
    .action(async (options, command: Command) => {
      await withUsageErrors(command, async () => (await loadServe()).serveRegistry(options, context()));
    });

  registry
    .command('list')
    .description('list repositories, their tags and digests in a registry storage')
    .option('--storage <dir|url>', 'storage location (default: registry.storage from the config)')
    .option('--json', 'machine-readable output')
    .action(async (options, command: Command) => {
      await withUsageErrors(command, async () => (await loadMaintenance()).listCommand(options, context()));
    });

  registry
    .command('stats')
    .description(
      'count repositories, tags, manifests, blobs and bytes in a registry storage, and the per-upstream counters a pull-through cache saved there',
    )
    .option('--storage <dir|url>', 'storage location (default: registry.storage from the config)')
    .option('--json', 'machine-readable output (sizes in bytes)')
    .action(async (options, command: Command) => {
      await withUsageErrors(command, async () => (await loadMaintenance()).statsCommand(options, context()));
    });

  registry
    .command('gc')
    .description('delete blobs no manifest references (safe while pushes are in flight)')
    .option('--storage <dir|url>', 'storage location (default: registry.storage from the config)')
    .option('--dry-run', 'report what would be deleted and change nothing')
    .option('--delete-untagged', 'also delete manifests that no tag reaches')
    .option('--grace-period <duration>', 'never delete content younger than this', '1h')
    .option('--json', 'machine-readable report (sizes in bytes)')
    .action(async (options, command: Command) => {
      await withUsageErrors(command, async () => (await loadMaintenance()).gcCommand(options, context()));
    });
}

/** The commands on `glci run`'s embedded registry, through the daemon. */
function registerEmbeddedCommands(registry: Command, context: () => CliContext, confirm: Confirm): void {
  registry
    .command('pull')
    .description(
      "pull an image of glci's embedded registry into the Docker engine glci uses (e.g. one a pipeline pushed to $CI_REGISTRY_IMAGE)",
    )
    .argument('<image>', 'path[:tag|@digest] in the embedded registry (a $CI_REGISTRY/ prefix is accepted)')
    .argument('[prefix]', 'also tag it PREFIX/<path>:<tag> (app:1 local → local/app:1)')
    .option(
      '--to-local',
      "when glci's engine is a remote host or Podman, also copy the image into this machine's Docker (and tag it there)",
    )
    .option('--json', 'machine-readable result')
    .action(async (image: string, prefix: string | undefined, options, command: Command) => {
      await withUsageErrors(command, async () =>
        (await loadEmbedded()).registryPullCommand(context(), image, prefix, options),
      );
    });

  registry
    .command('clean')
    .description(
      "delete images from glci's embedded registry: all of them (pushed and cached) or one project's",
    )
    .option('--project <path>', "only this project's images: its CI_REGISTRY_IMAGE and below (group/app)")
    .option('--force', 'do not ask for confirmation')
    .option('--json', 'machine-readable report (sizes in bytes)')
    .action(async (options, command: Command) => {
      await withUsageErrors(command, async () =>
        (await loadEmbedded()).registryCleanCommand(context(), options, confirm),
      );
    });
}

/** Mistakes in the command line exit with status 2 and a one-line message, like commander's own. */
async function withUsageErrors(command: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError)
      command.error(`error: ${error.message}`, { exitCode: 2, code: 'glci.usage' });
    throw error;
  }
}
