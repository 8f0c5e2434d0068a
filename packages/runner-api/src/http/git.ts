import { spawn } from 'node:child_process';
import type { NextFunction, Request, Response } from 'express';
import type { ApiContext } from './context.js';
import { runningJobForToken } from './context.js';
import { sendJson } from './http-errors.js';

const ROUTE = /^\/(.+?)\.git\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.*)$/;

function challenge(res: Response, message: string): void {
  res.setHeader('WWW-Authenticate', 'Basic realm="GitLab"');
  sendJson(res, 401, { message: `401 ${message}` });
}

function basicCredentials(req: Request): { user: string; password: string } | undefined {
  const value = req.headers.authorization;
  if (typeof value !== 'string' || !/^basic /i.test(value)) return undefined;
  const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Git smart HTTP (fetch only) for `/<project path>.git/…`, served by the real `git http-backend`
 * (CGI) on the project's serving repository. Credentials are `gitlab-ci-token` + the token of a
 * running job of that project; git only sends them after a `401` + `WWW-Authenticate: Basic`.
 */
export function gitRoutes(ctx: ApiContext) {
  const log = ctx.logger.child({ module: 'runner-api', resource: 'git' });

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = ROUTE.exec(req.path);
    if (!match) return next();
    let projectPath: string;
    try {
      projectPath = decodeURIComponent(match[1]!);
    } catch {
      return sendJson(res, 400, { message: '400 invalid project path' });
    }
    const action = match[2]!;
    const service = req.query.service;
    const upload =
      (action === 'info/refs' && req.method === 'GET' && service === 'git-upload-pack') ||
      (action === 'git-upload-pack' && req.method === 'POST');
    if (!upload) {
      return sendJson(res, 403, { message: '403 only smart-HTTP fetches (git-upload-pack) are served' });
    }
    const credentials = basicCredentials(req);
    if (!credentials) return challenge(res, 'HTTP Basic: Access denied');
    const job =
      credentials.user === 'gitlab-ci-token' ? runningJobForToken(ctx, credentials.password) : undefined;
    if (!job)
      return challenge(res, 'HTTP Basic: Access denied (use gitlab-ci-token and a running job token)');
    if (job.spec.project.path !== projectPath) {
      return sendJson(res, 404, { message: '404 The project you were looking for could not be found.' });
    }
    const repository = await ctx.git.repository(projectPath);
    if (!repository) return sendJson(res, 404, { message: '404 repository not published' });

    log.debug('git request', { jobId: job.id, project: projectPath, action });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      GIT_PROJECT_ROOT: repository,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: action === 'info/refs' ? '/info/refs' : '/git-upload-pack',
      REQUEST_METHOD: req.method,
      QUERY_STRING: new URL(req.originalUrl, 'http://x').search.slice(1),
      REMOTE_USER: 'gitlab-ci-token',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    const copy: [string, string][] = [
      ['content-type', 'CONTENT_TYPE'],
      ['content-length', 'CONTENT_LENGTH'],
      ['content-encoding', 'HTTP_CONTENT_ENCODING'],
      ['git-protocol', 'HTTP_GIT_PROTOCOL'],
    ];
    for (const [name, variable] of copy) {
      const value = req.headers[name];
      if (typeof value === 'string') env[variable] = value;
    }
    runCgi(req, res, env, (message) =>
      log.warn('git http-backend failed', { project: projectPath, message }),
    );
  };
}

/** Runs `git http-backend`, turning its CGI header block into the HTTP status and headers. */
function runCgi(
  req: Request,
  res: Response,
  env: Record<string, string>,
  onError: (m: string) => void,
): void {
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (!end) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end.index).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.status(status);
    const rest = head.subarray(end.index + end.length);
    if (rest.length > 0) res.write(rest);
  });
  child.on('error', (error) => {
    onError(error.message);
    if (!res.headersSent) sendJson(res, 500, { message: '500 git is not available' });
    else res.destroy();
  });
  child.on('close', (code) => {
    if (code !== 0) onError(`exit ${code}: ${stderr.trim()}`);
    if (!headersDone) {
      if (!res.headersSent) sendJson(res, 500, { message: '500 git http-backend failed' });
      return;
    }
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) child.kill();
  });
  child.stdin.on('error', () => {});
  req.pipe(child.stdin);
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}
