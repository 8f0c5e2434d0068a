import { z } from 'zod';
import type { GitlabInstance } from './instance.js';
import { parseOriginRemote } from './origin-remote.js';
import { GitlabToken } from './token.js';

/**
 * A resolved instance as the CLI sends it to its daemon over the daemon's unix socket (owned by
 * the user, checked before every connection): the daemon plans `glci run`'s pipeline and holds the
 * CI/CD variables, so it needs the token the CLI resolved from its own environment. This is the
 * one place a token's value leaves a `GitlabToken`; the daemon turns it back into one at once and
 * never writes the request down.
 */
export const instanceWireSchema = z.object({
  url: z.string().min(1),
  urlSource: z.union([
    z.object({ kind: z.literal('env'), variable: z.literal('GITLAB_URL') }),
    z.object({ kind: z.enum(['config', 'origin', 'default']) }),
  ]),
  token: z
    .object({
      value: z.string().min(1),
      scheme: z.enum(['private', 'oauth']),
      source: z.union([
        z.object({ kind: z.literal('config'), file: z.string() }),
        z.object({ kind: z.literal('env'), variable: z.string() }),
      ]),
    })
    .optional(),
  caFile: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive(),
  secretsTtlMs: z.number().int().min(0),
  includesTtlMs: z.number().int().min(0),
  concurrency: z.number().int().positive(),
  remoteMaxSize: z.number().int().positive(),
  originUrl: z.string().optional(),
});
export type InstanceWire = z.infer<typeof instanceWireSchema>;

export function instanceToWire(instance: GitlabInstance, originUrl: string | undefined): InstanceWire {
  return {
    url: instance.url,
    urlSource: instance.urlSource as InstanceWire['urlSource'],
    ...(instance.token
      ? {
          token: {
            value: instance.token.password().password,
            scheme: instance.token.scheme,
            source: instance.token.source,
          },
        }
      : {}),
    ...(instance.caFile ? { caFile: instance.caFile } : {}),
    timeoutMs: instance.timeoutMs,
    secretsTtlMs: instance.secretsTtlMs,
    includesTtlMs: instance.includesTtlMs,
    concurrency: instance.concurrency,
    remoteMaxSize: instance.remoteMaxSize,
    ...(originUrl ? { originUrl } : {}),
  };
}

export function instanceFromWire(wire: InstanceWire): GitlabInstance {
  const origin = wire.originUrl ? parseOriginRemote(wire.originUrl) : undefined;
  return {
    url: wire.url,
    urlSource: wire.urlSource,
    fqdn: new URL(wire.url).host,
    token: wire.token ? new GitlabToken(wire.token.value, wire.token.source, wire.token.scheme) : undefined,
    caFile: wire.caFile,
    timeoutMs: wire.timeoutMs,
    secretsTtlMs: wire.secretsTtlMs,
    includesTtlMs: wire.includesTtlMs,
    concurrency: wire.concurrency,
    remoteMaxSize: wire.remoteMaxSize,
    origin:
      origin &&
      new URL(origin.instanceUrl).hostname.toLowerCase() === new URL(wire.url).hostname.toLowerCase()
        ? origin
        : undefined,
  };
}

/** How a command wants the instance used: what `glci run` sends its daemon with the plan request. */
export const gitlabSessionSchema = z.object({
  instance: instanceWireSchema,
  /** `--secrets` */
  secrets: z.enum(['all', 'project', 'none']).default('all'),
  /** `--refresh-secrets` */
  refreshSecrets: z.boolean().default(false),
  /** `--refresh-includes` */
  refreshIncludes: z.boolean().default(false),
  /** `--offline`: plan from the include cache, CI/CD variables from the daemon's memory only. */
  offline: z.boolean().default(false),
});
export type GitlabSession = z.input<typeof gitlabSessionSchema>;
