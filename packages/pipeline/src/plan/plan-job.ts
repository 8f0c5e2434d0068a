import type { PipelineContext } from '../context/pipeline-context.js';
import { parseHumanDuration } from '../definition/duration.js';
import type { DefaultsDefinition, JobDefinition } from '../definition/types.js';
import { expandText } from '../variables/expand.js';
import type { ResolvedVariables } from '../variables/layers.js';
import { type CacheKeyEnvironment, resolveCacheKey } from './cache-key.js';
import type { LocalSettings } from './local-settings.js';
import type { PlannedArtifacts, PlannedCache, PlannedEnvironment, PlannedJob } from './plan-types.js';

type Payload = Pick<
  PlannedJob,
  | 'retry'
  | 'timeoutSeconds'
  | 'resourceGroup'
  | 'interruptible'
  | 'environment'
  | 'coverage'
  | 'tags'
  | 'image'
  | 'services'
  | 'beforeScript'
  | 'script'
  | 'afterScript'
  | 'hooks'
  | 'artifacts'
  | 'caches'
  | 'idTokens'
  | 'secrets'
>;

/** Whether the job takes `keyword` from `default:` (`inherit:default`). */
function inherits(job: JobDefinition, keyword: string): boolean {
  const setting = job.inherit.default;
  return setting === true || (Array.isArray(setting) && setting.includes(keyword));
}

/**
 * The job's payload after `default:` (as `inherit:default` allows), the local config's default
 * image and `[jobs."name"].image`, with environment names and resource groups expanded and cache
 * keys resolved, as GitLab does when it creates the job.
 */
export async function buildPayload(
  job: JobDefinition,
  defaults: DefaultsDefinition,
  variables: ResolvedVariables,
  local: LocalSettings,
  interruptibleOverride: boolean | undefined,
  caches: CacheKeyEnvironment,
  context: PipelineContext,
): Promise<Payload> {
  const pick = <K extends keyof DefaultsDefinition>(
    keyword: string,
    key: K,
  ): DefaultsDefinition[K] | undefined => (inherits(job, keyword) ? defaults[key] : undefined);
  const lookup = (name: string) => variables.get(name);

  let image =
    job.image ?? pick('image', 'image') ?? (local.defaultImage ? { name: local.defaultImage } : undefined);
  const override = local.jobs?.[job.name]?.image;
  if (override)
    image = {
      ...(image ?? { name: override.name ?? local.defaultImage ?? 'alpine:latest' }),
      ...override,
      ...(override.docker ? { docker: { ...image?.docker, ...override.docker } } : {}),
    } as PlannedJob['image'];

  const retry = job.retry ?? pick('retry', 'retry') ?? { max: 0 };
  const timeout = job.timeout ?? pick('timeout', 'timeout');
  const cacheDefinitions = job.cache ?? pick('cache', 'cache') ?? [];
  const plannedCaches: PlannedCache[] = [];
  for (const cache of cacheDefinitions) {
    const policy = cache.policy === undefined ? 'pull-push' : expandText(cache.policy, lookup);
    plannedCaches.push({
      key: await resolveCacheKey(cache.key, lookup, caches),
      ...(typeof cache.key === 'string' ? { keyTemplate: cache.key } : {}),
      fallbackKeys: (cache.fallbackKeys ?? []).map((key) => expandText(key, lookup)),
      paths: cache.paths ?? [],
      untracked: cache.untracked ?? false,
      unprotect: cache.unprotect ?? false,
      policy: policy === 'pull' || policy === 'push' ? policy : 'pull-push',
      when: cache.when ?? 'on_success',
    });
  }
  const artifactsDefinition = job.artifacts ?? pick('artifacts', 'artifacts');
  const artifacts: PlannedArtifacts | undefined = artifactsDefinition
    ? {
        ...(artifactsDefinition.name !== undefined ? { name: artifactsDefinition.name } : {}),
        paths: artifactsDefinition.paths ?? [],
        exclude: artifactsDefinition.exclude ?? [],
        untracked: artifactsDefinition.untracked ?? false,
        when: artifactsDefinition.when ?? 'on_success',
        ...(artifactsDefinition.expireIn !== undefined ? { expireIn: artifactsDefinition.expireIn } : {}),
        reports: artifactsDefinition.reports ?? {},
      }
    : undefined;
  let environment: PlannedEnvironment | undefined;
  if (job.environment) {
    const name = expandText(job.environment.name, lookup);
    environment = {
      name,
      action: job.environment.action ?? 'start',
      ...(job.environment.url !== undefined ? { url: expandText(job.environment.url, lookup) } : {}),
      ...(job.environment.deploymentTier !== undefined
        ? { deploymentTier: job.environment.deploymentTier }
        : {}),
      ...(job.environment.onStop !== undefined ? { onStop: job.environment.onStop } : {}),
      ...(job.environment.autoStopIn !== undefined ? { autoStopIn: job.environment.autoStopIn } : {}),
    };
  }
  void context;
  const hooks = job.hooks ?? pick('hooks', 'hooks');
  const idTokens = job.idTokens ?? pick('id_tokens', 'idTokens');
  return {
    retry: { max: retry.max, when: retry.when ?? ['always'], exitCodes: retry.exitCodes ?? [] },
    timeoutSeconds: timeout === undefined ? 3600 : (parseHumanDuration(timeout) ?? 3600),
    ...(job.resourceGroup !== undefined ? { resourceGroup: expandText(job.resourceGroup, lookup) } : {}),
    interruptible:
      interruptibleOverride ?? job.interruptible ?? pick('interruptible', 'interruptible') ?? false,
    ...(environment ? { environment } : {}),
    ...(job.coverage !== undefined ? { coverage: job.coverage } : {}),
    tags: job.tags ?? pick('tags', 'tags') ?? [],
    ...(image ? { image } : {}),
    services: job.services ?? pick('services', 'services') ?? [],
    beforeScript: job.beforeScript ?? pick('before_script', 'beforeScript') ?? [],
    script: job.script ?? [],
    afterScript: job.afterScript ?? pick('after_script', 'afterScript') ?? [],
    ...(hooks ? { hooks } : {}),
    ...(artifacts ? { artifacts } : {}),
    caches: plannedCaches,
    ...(idTokens
      ? {
          idTokens: Object.fromEntries(
            Object.entries(idTokens).map(([name, token]) => [
              name,
              (typeof token.aud === 'string' ? [token.aud] : token.aud).map((aud) => expandText(aud, lookup)),
            ]),
          ),
        }
      : {}),
    ...(job.secrets ? { secrets: Object.keys(job.secrets) } : {}),
  };
}
