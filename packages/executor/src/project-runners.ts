import path from 'node:path';
import type { Logger } from '@glci/config';
import { dockerNamePart, type GlciTopology, type RunnerNameParts } from '@glci/docker';
import type { MockClient } from './mock-client.js';
import { namedFleetEntries, syncNamedRunners } from './named-runners.js';
import type { ConfiguredRunner } from './runner-assignment.js';
import { type FleetSettings, RunnerFleet } from './runner-fleet.js';

/**
 * The projects' own runner containers (`glci-runner-<suffix>-<project>`), beside the shared one:
 * one per project that configures runners, holding only that project's `[[runners]]` entries,
 * started the first time one of its pipelines runs and kept, like the shared one, for the next.
 */
export interface ProjectRunnersOptions {
  readonly topology: GlciTopology;
  readonly client: MockClient;
  readonly settings: FleetSettings;
  readonly logger: Logger;
  readonly suffix: string;
  /** Where each project's entries and tokens are kept, as the shared fleet's. */
  readonly stateDir: string;
}

export class ProjectRunners {
  readonly #fleets = new Map<string, RunnerFleet>();
  readonly #options: ProjectRunnersOptions;

  constructor(options: ProjectRunnersOptions) {
    this.#options = options;
  }

  /** Starts (or updates) the container of `projectPath` with `runners`, the project's own. */
  async ensure(projectPath: string, runners: readonly ConfiguredRunner[]): Promise<void> {
    const own = runners.filter((runner) => runner.scope === 'project');
    let fleet = this.#fleets.get(projectPath);
    if (!fleet && own.length === 0) return;
    if (!fleet) {
      const { stateDir, ...options } = this.#options;
      fleet = new RunnerFleet({
        ...options,
        project: projectPath,
        stateFile: path.join(stateDir, `runner-fleet-${options.suffix}-${dockerNamePart(projectPath)}.json`),
      });
      this.#fleets.set(projectPath, fleet);
    }
    if (!(await fleet.container?.state())?.running) {
      await fleet.start(namedFleetEntries(own));
    }
    await syncNamedRunners(fleet, own);
  }

  /** The ids the project runners label their job objects with (live output, leftovers). */
  runnerIds(): string[] {
    return [...this.#fleets.values()].flatMap((fleet) => fleet.runnerIds());
  }

  /** The containers' name parts, for stopping them with the daemon. */
  nameParts(): RunnerNameParts[] {
    return [...this.#fleets.keys()].map((project) => ({
      suffix: this.#options.suffix,
      tier: 'project' as const,
      project,
    }));
  }
}
