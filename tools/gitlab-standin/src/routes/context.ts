import type { Response } from 'express';
import type { Identity, StandinGroup, StandinModel, StandinProject } from '../model.js';
import { fail } from '../respond.js';

export function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}

/**
 * The project named by `:id`, or a 404 "Project Not Found" when it does not exist or the caller
 * may not see it (GitLab never says which). `code` also needs the right to read its repository.
 */
export function visibleProject(
  model: StandinModel,
  res: Response,
  id: string,
  need: 'see' | 'code' = 'see',
): StandinProject | undefined {
  const identity = identityOf(res);
  const project = model.project(id);
  if (
    !project ||
    !model.canSee(identity, project) ||
    (need === 'code' && !model.canReadCode(identity, project))
  ) {
    fail.notFound(res, 'Project');
    return undefined;
  }
  return project;
}

export function visibleGroup(model: StandinModel, res: Response, id: string): StandinGroup | undefined {
  const group = model.group(id);
  if (!group || !model.canSee(identityOf(res), group)) {
    fail.notFound(res, 'Group');
    return undefined;
  }
  return group;
}

/** Maintainer (40) or more on the project or group, else 403 as GitLab answers `authorize!`. */
export function requireMaintainer(
  model: StandinModel,
  res: Response,
  target: StandinProject | StandinGroup,
): boolean {
  if (model.accessLevel(identityOf(res), target) >= 40) return true;
  fail.forbidden(res);
  return false;
}
