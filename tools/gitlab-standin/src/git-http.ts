import { spawn } from 'node:child_process';
import type { Request, Response } from 'express';
import type { Identity, StandinModel } from './model.js';

const GIT_PATH = /^\/(.+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/**
 * Git's smart HTTP protocol for the stand-in's repositories, through `git http-backend` (the CGI
 * program that ships with git), with GitLab's rules: anyone may fetch a public project; anything
 * else needs HTTP Basic auth whose password is a token (OAuth tokens with the user `oauth2`), and
 * a missing or wrong one is a 401 that makes git ask its credential helper. Pushing is refused.
 * This is how gitlab-ci-local fetches `include:project` files.
 */
export function gitHttpHandler(model: StandinModel, reposRoot: string) {
  return (req: Request, res: Response, next: () => void): void => {
    const match = GIT_PATH.exec(req.path);
    if (!match) {
      next();
      return;
    }
    const [, projectPath, service] = match;
    const project = model.project(decodeURIComponent(projectPath!));
    if (service === 'git-receive-pack' || req.query.service === 'git-receive-pack') {
      res.status(403).type('text/plain').send('You are not allowed to push code to this project.\n');
      return;
    }
    const identity = basicIdentity(model, req.headers.authorization);
    if (identity.kind === 'invalid' || (project?.visibility !== 'public' && identity.kind === 'anonymous')) {
      res
        .status(401)
        .set('www-authenticate', 'Basic realm="GitLab"')
        .type('text/plain')
        .send('HTTP Basic: Access denied.\n');
      return;
    }
    if (!project || !model.canReadCode(identity, project)) {
      res
        .status(404)
        .type('text/plain')
        .send(
          "The project you were looking for could not be found or you don't have permission to view it.\n",
        );
      return;
    }
    runBackend(req, res, reposRoot, `/${project.path}.git/${service}`);
  };
}

function basicIdentity(model: StandinModel, header: string | undefined): Identity {
  if (!header?.toLowerCase().startsWith('basic ')) return { kind: 'anonymous' };
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return { kind: 'invalid' };
  const username = decoded.slice(0, separator);
  const identity = model.identify({ bearer: decoded.slice(separator + 1) });
  if (identity.kind === 'user' && identity.token.kind === 'oauth' && username !== 'oauth2')
    return { kind: 'invalid' };
  return identity;
}

function runBackend(req: Request, res: Response, reposRoot: string, pathInfo: string): void {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: reposRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    PATH_INFO: pathInfo,
    REQUEST_METHOD: req.method,
    QUERY_STRING: new URL(req.originalUrl, 'http://x').search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
    ...(req.headers['content-encoding']
      ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
      : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersSent = true;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') res.status(Number.parseInt(value, 10));
      else res.setHeader(name, value);
    }
    res.write(head.subarray(end + 4));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.on('close', (code) => {
    if (!headersSent) res.status(500).type('text/plain').send(`git http-backend failed (${code}): ${stderr}`);
    else res.end();
  });
  child.on('error', (error) => {
    if (!headersSent) res.status(500).type('text/plain').send(String(error));
  });
}
