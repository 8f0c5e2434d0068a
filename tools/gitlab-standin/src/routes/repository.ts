import { Router } from 'express';
import type { StandinModel } from '../model.js';
import { sendKeysetPage, sendOffsetPage } from '../pagination.js';
import { RepoReader } from '../repo-reader.js';
import { admit, fail, READ_API, READ_REPOSITORY } from '../respond.js';
import { matchesProtectedName } from '../wildcard.js';
import { identityOf, visibleProject } from './context.js';

/** Repository reads: files (repository_files.md), tree (repositories.md), commits, tags, branches. */
export function repositoryRoutes(model: StandinModel): Router {
  const router = Router();

  router.get('/projects/:id/repository/files/:file_path/raw', async (req, res) => {
    if (!admit(identityOf(res), res, READ_REPOSITORY)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const ref = typeof req.query.ref === 'string' ? req.query.ref : 'HEAD';
    const sha = await reader.resolve(ref);
    if (!sha) return fail.notFound(res, 'Commit');
    const filePath = req.params.file_path.replace(/^\/+/, '');
    const content = await reader.file(sha, filePath);
    if (!content) return fail.notFound(res, 'File');
    res.set({
      'content-type': 'text/plain; charset=utf-8',
      'x-gitlab-commit-id': sha,
      'x-gitlab-file-path': filePath,
      'x-gitlab-ref': ref,
      'x-gitlab-size': String(content.length),
    });
    res.send(content);
  });

  router.get('/projects/:id/repository/tree', async (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const sha = await reader.resolve(typeof req.query.ref === 'string' ? req.query.ref : 'HEAD');
    if (!sha) return fail.notFound(res, 'Tree');
    const recursive = req.query.recursive === 'true';
    if (req.query.pagination === 'none' && !recursive)
      return fail.badRequest(res, 'pagination cannot be "none" unless "recursive" is true');
    const items = await reader.tree(sha, typeof req.query.path === 'string' ? req.query.path : '', recursive);
    if (!items) return fail.notFound(res, 'Tree');
    if (req.query.pagination === 'keyset') return sendKeysetPage(req, res, items, (item) => item.path);
    if (req.query.pagination === 'none') return void res.json(items);
    sendOffsetPage(req, res, items);
  });

  router.get('/projects/:id/repository/commits/:sha', async (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const sha = await reader.resolve(req.params.sha);
    if (!sha) return fail.notFound(res, 'Commit');
    const commit = await reader.commit(sha);
    res.json({
      id: commit.id,
      short_id: commit.id.slice(0, 8),
      title: commit.title,
      message: commit.message,
      committed_date: commit.committedDate,
      created_at: commit.committedDate,
      parent_ids: [],
    });
  });

  router.get('/projects/:id/repository/tags/:tag_name', async (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const tag = await reader.tag(req.params.tag_name);
    if (!tag) return fail.notFound(res, 'Tag');
    const commit = await reader.commit(tag.commit);
    res.json({
      name: req.params.tag_name,
      message: tag.message,
      target: tag.target,
      commit: {
        id: commit.id,
        short_id: commit.id.slice(0, 8),
        title: commit.title,
        committed_date: commit.committedDate,
      },
      release: null,
      protected: (project.protectedTags ?? []).some((name) =>
        matchesProtectedName(name, req.params.tag_name),
      ),
    });
  });

  router.get('/projects/:id/repository/branches/:branch', async (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const sha = await reader.branch(req.params.branch);
    if (!sha) return fail.notFound(res, 'Branch');
    const commit = await reader.commit(sha);
    res.json({
      name: req.params.branch,
      commit: {
        id: commit.id,
        short_id: commit.id.slice(0, 8),
        title: commit.title,
        committed_date: commit.committedDate,
      },
      merged: false,
      protected: (project.protectedBranches ?? []).some((name) =>
        matchesProtectedName(name, req.params.branch),
      ),
      default: req.params.branch === project.defaultBranch,
    });
  });

  return router;
}
