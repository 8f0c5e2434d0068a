import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import yazl from 'yazl';
import { type BuiltRepo, buildRepo } from './build-repos.js';
import type { InstanceFixture } from './fixture-types.js';
import { gitHttpHandler } from './git-http.js';
import { delayOf, type Latency, sleep } from './latency.js';
import { StandinModel } from './model.js';
import { type RunningRemoteServer, startRemoteServer } from './remote-server.js';
import { fail } from './respond.js';
import { ciRoutes } from './routes/ci.js';
import { identityRoutes, oauthRoutes } from './routes/identity.js';
import { artifactKey, projectRoutes } from './routes/projects.js';
import { repositoryRoutes } from './routes/repository.js';
import { generateTestCertificates } from './tls.js';

/** The realistic fixtures shipped with this package (`fixtures/`). */
export const DEFAULT_FIXTURES_DIR = path.resolve(import.meta.dirname, '..', 'fixtures');

export interface StandinOptions {
  /** A directory with `instance.json`, `repos/`, `templates/` and `remote/`; default: the shipped fixtures. */
  readonly fixturesDir?: string;
  /** Added before every answer, API and git alike (the bench uses 30–60 ms). */
  readonly latency?: Latency;
  /** Serve `include:remote` files over plain HTTP instead of HTTPS. */
  readonly remoteOverHttp?: boolean;
  readonly now?: () => number;
}

export interface RequestRecord {
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  readonly status: number;
  /** `PRIVATE-TOKEN`, `Bearer`, HTTP `Basic` (git) or none. */
  readonly auth: 'private-token' | 'bearer' | 'basic' | 'none';
  /** When the request arrived and when its answer was sent (ms since the epoch): how many overlapped. */
  readonly started: number;
  readonly finished: number;
}

/** The most requests that were being answered at the same moment. */
export function mostAtOnce(requests: readonly RequestRecord[]): number {
  const edges = requests.flatMap((request) => [
    { at: request.started, change: 1 },
    { at: request.finished, change: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let current = 0;
  let most = 0;
  for (const edge of edges) {
    current += edge.change;
    most = Math.max(most, current);
  }
  return most;
}

export interface RunningStandin extends AsyncDisposable {
  /** `https://127.0.0.1:PORT`: the instance's URL (API under `/api/v4`, git at `/<project>.git`). */
  readonly url: string;
  /** The test CA's certificate: what `[gitlab] ca_file` and `GIT_SSL_CAINFO` point at. */
  readonly caFile: string;
  /** The `include:remote` server (`{{remoteUrl}}` in variable values). */
  readonly remote: RunningRemoteServer;
  readonly model: StandinModel;
  /** Every request answered, in order. */
  readonly requests: RequestRecord[];
  /** A commit SHA of a project: by fixture commit `dir` or by tag name. */
  sha(project: string, dirOrTag: string): string;
  setLatency(latency: Latency): void;
  close(): Promise<void>;
}

/**
 * Starts a stand-in for a GitLab instance on loopback over HTTPS with a CA generated for this run.
 * GitLab itself cannot run on these machines; this implements exactly the REST API endpoints glci
 * calls, with GitLab's documented answers and token checks, plus git over HTTP.
 */
export async function startGitlabStandin(options: StandinOptions = {}): Promise<RunningStandin> {
  const fixturesDir = options.fixturesDir ?? DEFAULT_FIXTURES_DIR;
  const fixture = JSON.parse(
    readFileSync(path.join(fixturesDir, 'instance.json'), 'utf8'),
  ) as InstanceFixture;
  const reposRoot = mkdtempSync(path.join(os.tmpdir(), 'glci-standin-git-'));
  const certificates = await generateTestCertificates();
  const repos = new Map<string, BuiltRepo>();
  for (const project of fixture.projects)
    repos.set(project.path, await buildRepo(project, fixturesDir, reposRoot));
  let latency: Latency = options.latency ?? 0;
  const remote = await startRemoteServer({
    root: path.join(fixturesDir, 'remote'),
    tls: options.remoteOverHttp ? undefined : certificates,
    latency,
  });
  const model = new StandinModel(fixture, repos, remote.url, options.now);
  const artifacts = await buildArtifacts(fixture);
  const requests: RequestRecord[] = [];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(async (req, res, next) => {
    const requestPath = req.path;
    const started = Date.now();
    // Recorded as the answer ends rather than on 'finish', which may come after the client has read
    // it: a test that counts requests right after its call returns then sees every one.
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    let recorded = false;
    res.end = ((...args: unknown[]) => {
      if (!recorded)
        requests.push({
          method: req.method,
          path: requestPath,
          status: res.statusCode,
          auth: authKind(req),
          started,
          finished: Date.now(),
        });
      recorded = true;
      return end(...args);
    }) as typeof res.end;
    const delay = delayOf(latency);
    if (delay > 0) await sleep(delay);
    const privateToken = req.get('private-token');
    const authorization = req.get('authorization');
    const bearer = authorization?.toLowerCase().startsWith('bearer ')
      ? authorization.slice(7).trim()
      : undefined;
    res.locals.identity = model.identify({ privateToken, bearer });
    next();
  });
  app.use(oauthRoutes());
  app.use(
    '/api/v4',
    identityRoutes(model),
    repositoryRoutes(model),
    projectRoutes(model, artifacts),
    ciRoutes(model, fixturesDir),
  );
  app.use('/api/v4', (_req, res) => fail.notFound(res));
  app.use(gitHttpHandler(model, reposRoot));
  app.use((_req, res) => res.status(404).type('text/plain').send('Not Found\n'));
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ message: `500 Internal Server Error: ${error.message}` });
  });

  const server = https.createServer({ cert: certificates.cert, key: certificates.key }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await remote.close();
    rmSync(reposRoot, { recursive: true, force: true });
    rmSync(certificates.dir, { recursive: true, force: true });
  };
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: certificates.caFile,
    remote,
    model,
    requests,
    sha(project, dirOrTag) {
      const repo = repos.get(project);
      const sha = repo?.commits.get(dirOrTag) ?? repo?.tags.get(dirOrTag);
      if (!sha) throw new Error(`no commit or tag ${dirOrTag} in ${project}`);
      return sha;
    },
    setLatency(next) {
      latency = next;
      remote.setLatency(next);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function authKind(req: express.Request): RequestRecord['auth'] {
  if (req.get('private-token')) return 'private-token';
  const authorization = req.get('authorization')?.toLowerCase() ?? '';
  if (authorization.startsWith('bearer ')) return 'bearer';
  if (authorization.startsWith('basic ')) return 'basic';
  return 'none';
}

async function buildArtifacts(fixture: InstanceFixture): Promise<Map<string, Buffer>> {
  const archives = new Map<string, Buffer>();
  for (const project of fixture.projects) {
    for (const artifact of project.artifacts ?? []) {
      archives.set(artifactKey(project.path, artifact.ref, artifact.job), await zip(artifact.files));
    }
  }
  return archives;
}

function zip(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const archive = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    archive.addBuffer(Buffer.from(content), name, { mtime: new Date('2026-01-05T09:00:00Z') });
  }
  archive.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    archive.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    archive.outputStream.on('error', reject);
  });
}
