import type { ConfiguredRunner } from './runner-assignment.js';
import type { FleetEntry, RunnerFleet } from './runner-fleet.js';

/** Fleet keys of the user's runners: `runner-<name>`, apart from the DinD entries' keys. */
const KEY_PREFIX = 'runner-';

/** A `[runners.NAME]` entry as the fleet's `[[runners]]` entry. */
export function namedFleetEntry(runner: ConfiguredRunner): FleetEntry {
  const { settings } = runner;
  return {
    tags: runner.tags,
    volumes: settings.volumes,
    named: {
      name: runner.name,
      runUntagged: runner.runUntagged,
      ...(settings.concurrent !== undefined ? { limit: settings.concurrent } : {}),
      ...(settings.image !== undefined ? { image: settings.image } : {}),
      ...(settings.helper_image !== undefined ? { helperImage: settings.helper_image } : {}),
      ...(settings.privileged !== undefined ? { privileged: settings.privileged } : {}),
    },
  };
}

/**
 * The fleet entries of `runners` by key, for `RunnerFleet.start`: registered before the runner
 * container starts, since a SIGHUP that reaches gitlab-runner before it has set up its signal
 * handling ends it (SIGHUP's default action), so entries are not added right after a start.
 */
export function namedFleetEntries(runners: readonly ConfiguredRunner[]): Record<string, FleetEntry> {
  return Object.fromEntries(
    runners.map((runner) => [`${KEY_PREFIX}${runner.name}`, namedFleetEntry(runner)]),
  );
}

/**
 * Makes the fleet's named entries those of `runners`: each configured runner registered and in
 * `config.toml`, and entries of runners no longer configured (a previous daemon's) removed. An
 * entry whose settings changed is registered anew, since its tags are the mock's to match.
 */
export async function syncNamedRunners(
  fleet: RunnerFleet,
  runners: readonly ConfiguredRunner[],
): Promise<void> {
  const wanted = new Map(runners.map((runner) => [`${KEY_PREFIX}${runner.name}`, namedFleetEntry(runner)]));
  for (const key of fleet.keys()) {
    if (!key.startsWith(KEY_PREFIX)) continue;
    const entry = wanted.get(key);
    // Both come from `namedFleetEntry` (or its saved JSON), so their keys are in the same order.
    if (!entry || JSON.stringify(fleet.entry(key)) !== JSON.stringify(entry)) await fleet.remove(key);
  }
  for (const [key, entry] of wanted) if (!fleet.entry(key)) await fleet.add(key, entry);
}
