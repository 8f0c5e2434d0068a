import { Router } from 'express';
import type { StandinModel } from '../model.js';
import { sendOffsetPage } from '../pagination.js';
import { RepoReader } from '../repo-reader.js';
import { admit, fail, READ_API } from '../respond.js';
import { identityOf, requireMaintainer, visibleProject } from './context.js';

/**
 * Project resources: the project itself (projects.md), releases (releases/_index.md), CI/CD
 * variables (project_level_variables.md), protected branches and tags, and job artifacts by ref
 * (job_artifacts.md). `artifacts` are the zip archives built from the fixture.
 */
export function projectRoutes(model: StandinModel, artifacts: ReadonlyMap<string, Buffer>): Router {
  const router = Router();

  router.get('/projects/:id', (req, res) => {
    const identity = identityOf(res);
    if (!admit(identity, res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id);
    if (!project) return;
    const namespacePath = project.path.split('/').slice(0, -1).join('/');
    const namespace = model.group(namespacePath);
    const own =
      project.members && identity.kind === 'user' ? project.members[identity.user.username] : undefined;
    const inherited = identity.kind === 'user' ? model.accessLevel(identity, { path: project.path }) : 0;
    res.json({
      id: project.id,
      name: project.path.split('/').at(-1),
      path: project.path.split('/').at(-1),
      path_with_namespace: project.path,
      default_branch: project.defaultBranch,
      visibility: project.visibility,
      web_url: `${req.protocol}://${req.get('host')}/${project.path}`,
      http_url_to_repo: `${req.protocol}://${req.get('host')}/${project.path}.git`,
      namespace: {
        id: namespace?.id ?? 0,
        name: namespacePath.split('/').at(-1),
        path: namespacePath.split('/').at(-1),
        kind: namespace ? 'group' : 'user',
        full_path: namespacePath,
        parent_id: namespace ? (model.ancestorGroups(namespacePath).at(-1)?.id ?? null) : null,
      },
      ...(identity.kind === 'user'
        ? {
            permissions: {
              project_access: own ? { access_level: own, notification_level: 3 } : null,
              group_access: inherited > 0 ? { access_level: inherited, notification_level: 3 } : null,
            },
          }
        : {}),
    });
  });

  router.get('/projects/:id/releases', async (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const reader = new RepoReader(project.repo.gitDir);
    const now = model.now();
    const releases = await Promise.all(
      (project.releases ?? []).map(async (release) => {
        const tag = await reader.tag(release.tag);
        if (!tag) throw new Error(`fixture ${project.path}: release ${release.tag} has no tag`);
        return {
          tag_name: release.tag,
          name: release.tag,
          description: '',
          created_at: release.releasedAt,
          released_at: release.releasedAt,
          upcoming_release: Date.parse(release.releasedAt) > now,
          commit: { id: tag.commit, short_id: tag.commit.slice(0, 8) },
        };
      }),
    );
    const ascending = req.query.sort === 'asc';
    releases.sort((a, b) => (ascending ? 1 : -1) * (Date.parse(a.released_at) - Date.parse(b.released_at)));
    sendOffsetPage(req, res, releases);
  });

  router.get('/projects/:id/variables', (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id);
    if (!project || !requireMaintainer(model, res, project)) return;
    sendOffsetPage(req, res, model.variables(project.variables));
  });

  for (const [kind, pick] of [
    ['protected_branches', (p: { protectedBranches?: readonly string[] }) => p.protectedBranches],
    ['protected_tags', (p: { protectedTags?: readonly string[] }) => p.protectedTags],
  ] as const) {
    router.get(`/projects/:id/${kind}`, (req, res) => {
      if (!admit(identityOf(res), res, READ_API)) return;
      const project = visibleProject(model, res, req.params.id);
      if (!project || !requireMaintainer(model, res, project)) return;
      const names = pick(project) ?? [];
      sendOffsetPage(
        req,
        res,
        names.map((name, index) => ({
          id: index + 1,
          name,
          [kind === 'protected_branches' ? 'push_access_levels' : 'create_access_levels']: [
            { id: index + 1, access_level: 40, access_level_description: 'Maintainers' },
          ],
          ...(kind === 'protected_branches'
            ? { merge_access_levels: [], allow_force_push: false, code_owner_approval_required: false }
            : {}),
        })),
      );
    });
  }

  router.get('/projects/:id/jobs/artifacts/:ref_name/download', (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const project = visibleProject(model, res, req.params.id, 'code');
    if (!project) return;
    const job = typeof req.query.job === 'string' ? req.query.job : '';
    if (!job) return fail.badRequest(res, 'job is missing');
    const archive = artifacts.get(artifactKey(project.path, req.params.ref_name, job));
    if (!archive) return fail.notFound(res);
    res.set({
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="artifacts.zip"`,
    });
    res.send(archive);
  });

  return router;
}

export function artifactKey(project: string, ref: string, job: string): string {
  return `${project}\0${ref}\0${job}`;
}
