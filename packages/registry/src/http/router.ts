import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action, AuthDecision } from '../auth/authorizer.js';
import { DeniedError, NameInvalidError, UnauthorizedError } from '../errors.js';
import { isValidRepositoryName, MAX_NAME_LENGTH } from '../reference.js';
import { getBase } from './base.js';
import { deleteBlob, getBlob } from './blobs.js';
import { listCatalog } from './catalog.js';
import { connectionOf, type HandlerDeps, originOf, RequestContext } from './context.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { HttpError, sendError } from './oci-errors.js';
import { listReferrers } from './referrers.js';
import { listTags } from './tags.js';
import { cancelUpload, finishUpload, getUpload, patchUpload, startUpload } from './uploads.js';

/**
 * The route table and the dispatcher. Routes are matched by the tail of the path, so repository
 * names may contain slashes: `/v2/<name>/blobs/<digest>`, `/manifests/<ref>`, `/tags/list`,
 * `/referrers/<digest>`, `/blobs/uploads/[<id>]`. The name is then checked against the spec's
 * grammar; raw paths with percent-encoding or `..` never reach a store. Write routes (uploads,
 * manifest PUT) exist only when the registry is writable and DELETE routes only when deletes are
 * enabled; otherwise the method is answered 405 UNSUPPORTED.
 */
export type Resource = 'base' | 'catalog' | 'blobs' | 'uploads' | 'manifests' | 'tags' | 'referrers';
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Handler = (ctx: RequestContext) => Promise<void>;

interface RouteDefinition {
  readonly resource: Resource;
  readonly methods: readonly Method[];
  readonly handler: Handler;
  /** Actions the auth hook is asked for. */
  readonly actions: readonly Action[];
  /** `write` routes need a writable registry; `delete` routes need deletes enabled. */
  readonly requires?: 'write' | 'delete';
}

const PULL: readonly Action[] = ['pull'];
const PUSH: readonly Action[] = ['pull', 'push'];
const DELETE: readonly Action[] = ['delete'];

export const ROUTES: readonly RouteDefinition[] = [
  { resource: 'base', methods: ['GET', 'HEAD'], handler: getBase, actions: [] },
  { resource: 'catalog', methods: ['GET'], handler: listCatalog, actions: PULL },
  { resource: 'blobs', methods: ['GET', 'HEAD'], handler: getBlob, actions: PULL },
  { resource: 'blobs', methods: ['DELETE'], handler: deleteBlob, actions: DELETE, requires: 'delete' },
  { resource: 'uploads', methods: ['POST'], handler: startUpload, actions: PUSH, requires: 'write' },
  { resource: 'uploads', methods: ['PATCH'], handler: patchUpload, actions: PUSH, requires: 'write' },
  { resource: 'uploads', methods: ['PUT'], handler: finishUpload, actions: PUSH, requires: 'write' },
  { resource: 'uploads', methods: ['GET'], handler: getUpload, actions: PUSH, requires: 'write' },
  { resource: 'uploads', methods: ['DELETE'], handler: cancelUpload, actions: PUSH, requires: 'write' },
  { resource: 'manifests', methods: ['GET', 'HEAD'], handler: getManifest, actions: PULL },
  { resource: 'manifests', methods: ['PUT'], handler: putManifest, actions: PUSH, requires: 'write' },
  {
    resource: 'manifests',
    methods: ['DELETE'],
    handler: deleteManifest,
    actions: DELETE,
    requires: 'delete',
  },
  { resource: 'tags', methods: ['GET'], handler: listTags, actions: PULL },
  { resource: 'referrers', methods: ['GET'], handler: listReferrers, actions: PULL },
];

/** Longest request path accepted: a maximal name plus marker and a sha512 digest or session id. */
const MAX_PATH_LENGTH = 4 + MAX_NAME_LENGTH + 20 + 300;

export interface MatchedRoute {
  readonly resource: Resource;
  readonly name: string;
  readonly reference: string;
}

/** Splits `/v2/...` into resource, repository name and reference; `undefined` if nothing matches. */
export function matchPath(path: string): MatchedRoute | undefined {
  if (path === '/v2/' || path === '/v2') return { resource: 'base', name: '', reference: '' };
  if (!path.startsWith('/v2/')) return undefined;
  const rest = path.slice(4);
  if (rest === '_catalog') return { resource: 'catalog', name: '', reference: '' };
  if (rest.endsWith('/tags/list')) return { resource: 'tags', name: rest.slice(0, -10), reference: '' };
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const head = rest.slice(0, slash);
  const reference = rest.slice(slash + 1);
  if (head.endsWith('/blobs/uploads')) return { resource: 'uploads', name: head.slice(0, -14), reference };
  if (head.endsWith('/blobs')) {
    const name = head.slice(0, -6);
    return reference === 'uploads'
      ? { resource: 'uploads', name, reference: '' }
      : { resource: 'blobs', name, reference };
  }
  if (head.endsWith('/manifests')) return { resource: 'manifests', name: head.slice(0, -10), reference };
  if (head.endsWith('/referrers')) return { resource: 'referrers', name: head.slice(0, -10), reference };
  return undefined;
}

export interface RouterOptions {
  readonly deps: HandlerDeps;
  /** Extra exact-path endpoints outside `/v2/` (the token endpoint, `/metrics`). */
  readonly endpoints?: ReadonlyMap<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
}

export type RequestListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Builds the request listener: usable with `http.createServer` and as express middleware. */
export function createRouter(options: RouterOptions): RequestListener {
  const { deps } = options;
  const { settings, logger, metrics } = deps;
  const table = new Map<string, RouteDefinition>();
  const allowed = new Map<Resource, Set<string>>();
  for (const route of ROUTES) {
    if (route.requires === 'write' && settings.readOnly) continue;
    if (route.requires === 'delete' && (!settings.deleteEnabled || settings.readOnly)) continue;
    for (const method of route.methods) {
      table.set(`${route.resource} ${method}`, route);
      const set = allowed.get(route.resource) ?? new Set<string>();
      allowed.set(route.resource, set);
      set.add(method);
    }
  }
  // HEAD is served wherever GET is.
  const endpoints = options.endpoints ?? new Map();
  const httpLogging = () => logger.isLevelEnabled('http');

  async function dispatch(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const endpoint = endpoints.get(path);
    if (endpoint) {
      try {
        await endpoint(req, res);
      } catch (error) {
        sendError(req, res, error, logger);
      }
      return;
    }
    if (!path.startsWith('/v2')) {
      if (next) return next();
      sendError(req, res, new HttpError(404, 'NOT_FOUND', 'not found'), logger);
      return;
    }
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const started = httpLogging() ? process.hrtime.bigint() : 0n;
    metrics?.requestStarted();
    let routeLabel = 'unmatched';
    let status = 500;
    let ctx: RequestContext | undefined;
    try {
      if (path.length > MAX_PATH_LENGTH) throw new NameInvalidError(path.slice(4, 300));
      const match = matchPath(path);
      if (!match) {
        if (path.includes('%') || path.includes('/../') || path.includes('/./')) {
          throw new NameInvalidError(path.slice(4));
        }
        throw new HttpError(404, 'NOT_FOUND', 'no such endpoint');
      }
      routeLabel = match.resource;
      if (match.resource !== 'base' && match.resource !== 'catalog' && !isValidRepositoryName(match.name)) {
        throw new NameInvalidError(match.name);
      }
      if (match.reference.includes('%')) {
        throw new HttpError(400, 'NAME_INVALID', 'percent-encoding is not allowed in references');
      }
      const method = req.method ?? 'GET';
      const route = table.get(`${match.resource} ${method}`);
      if (!route) {
        const methods = allowed.get(match.resource);
        const allow = methods ? [...methods].join(', ') : '';
        const message = `${method} is not supported on ${match.resource}`;
        throw new HttpError(405, 'UNSUPPORTED', message, undefined, allow ? { Allow: allow } : undefined);
      }
      ctx = new RequestContext(req, res, deps, match.name, match.reference, rawQuery);
      await authorize(ctx, route, match);
      await route.handler(ctx);
      status = res.statusCode;
    } catch (error) {
      if (res.destroyed && !res.writableFinished) {
        status = 499;
        logger.debug('client went away', { method: req.method, path: path.slice(0, 300) });
      } else {
        status = sendError(req, res, error, logger);
      }
    } finally {
      metrics?.requestFinished(
        routeLabel,
        req.method ?? 'GET',
        status,
        ctx?.bytesIn ?? 0,
        ctx?.bytesOut ?? 0,
      );
      if (started !== 0n) {
        logger.http('request', {
          method: req.method,
          path: path.slice(0, 300),
          status,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      }
    }
  }

  async function authorize(ctx: RequestContext, route: RouteDefinition, match: MatchedRoute): Promise<void> {
    const decision: AuthDecision = await deps.auth.authorize({
      ...(match.name ? { repository: match.name } : {}),
      actions: route.actions,
      credentials: ctx.credentials,
      ...(match.resource === 'catalog' ? { catalog: true } : {}),
      origin: originOf(ctx.req),
      ...connectionOf(ctx.req),
    });
    if (decision.kind === 'allow') return;
    if (decision.kind === 'challenge') {
      throw new UnauthorizedError(decision.message ?? 'authentication required', decision.challenge);
    }
    throw new DeniedError(decision.message ?? 'access to the requested resource is denied');
  }

  return (req, res, next) => {
    void dispatch(req, res, next);
  };
}
