import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import type { StandinModel } from '../model.js';
import { sendOffsetPage } from '../pagination.js';
import { admit, fail, READ_API } from '../respond.js';
import { identityOf, requireMaintainer, visibleGroup } from './context.js';

/**
 * CI templates (templates/gitlab_ci_ymls.md: public, no token needed), group variables
 * (group_level_variables.md: Maintainer) and instance variables (instance_level_ci_variables.md:
 * administrators).
 */
export function ciRoutes(model: StandinModel, fixturesDir: string): Router {
  const router = Router();

  router.get('/templates/gitlab_ci_ymls/:key', (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const key = req.params.key;
    if (!model.fixture.templates.includes(key)) return fail.notFound(res, 'Template');
    const content = readFileSync(path.join(fixturesDir, 'templates', `${key}.gitlab-ci.yml`), 'utf8');
    res.json({ name: key.split('/').at(-1), content });
  });

  router.get('/groups/:id/variables', (req, res) => {
    if (!admit(identityOf(res), res, READ_API)) return;
    const group = visibleGroup(model, res, req.params.id);
    if (!group || !requireMaintainer(model, res, group)) return;
    sendOffsetPage(req, res, model.variables(group.variables));
  });

  router.get('/admin/ci/variables', (req, res) => {
    const identity = identityOf(res);
    if (!admit(identity, res, READ_API)) return;
    if (identity.kind !== 'user') return fail.unauthorized(res);
    if (!identity.user.admin) return fail.forbidden(res);
    sendOffsetPage(req, res, model.instanceVariables());
  });

  return router;
}
