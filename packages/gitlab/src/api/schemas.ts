import { z } from 'zod';

/**
 * The parts of GitLab's REST API v4 answers glci reads, as its API documentation describes them
 * (doc/api/*.md in GitLab's repository). Fields glci does not read are not listed; extra fields
 * are ignored, so a newer instance that adds some still parses.
 */

export const accessSchema = z.object({ access_level: z.number().int() }).nullable();

/** `GET /projects/:id` (projects.md, "Get a single project"). */
export const projectSchema = z.object({
  id: z.number().int(),
  path_with_namespace: z.string(),
  /** `null` for a project with an empty repository. */
  default_branch: z.string().nullable().optional(),
  visibility: z.enum(['public', 'internal', 'private']).optional(),
  web_url: z.string(),
  namespace: z.object({
    id: z.number().int(),
    full_path: z.string(),
    kind: z.enum(['group', 'user']),
  }),
  /** The caller's own access; absent without a token. */
  permissions: z
    .object({ project_access: accessSchema.optional(), group_access: accessSchema.optional() })
    .optional(),
});
export type GitlabProject = z.infer<typeof projectSchema>;

/** `GET /projects/:id/repository/tree` (repositories.md, "List repository tree"). */
export const treeEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['blob', 'tree', 'commit']),
  path: z.string(),
  mode: z.string(),
});
export type TreeEntry = z.infer<typeof treeEntrySchema>;

/** `GET /projects/:id/repository/commits/:sha` (commits.md, "Get a single commit"). */
export const commitSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/),
  short_id: z.string().optional(),
  committed_date: z.string().optional(),
});

/** `GET /projects/:id/repository/tags/:tag_name` (tags.md). */
export const tagSchema = z.object({
  name: z.string(),
  target: z.string(),
  commit: commitSchema,
  protected: z.boolean().optional(),
});

/** `GET /projects/:id/repository/branches/:branch` (branches.md). */
export const branchSchema = z.object({
  name: z.string(),
  commit: commitSchema,
  protected: z.boolean(),
  default: z.boolean().optional(),
});

/** `GET /projects/:id/releases` (releases/_index.md, "List releases"). */
export const releaseSchema = z.object({
  tag_name: z.string(),
  released_at: z.string().nullable().optional(),
  upcoming_release: z.boolean().optional(),
  /** Shown to callers who may read the repository. */
  commit: z.object({ id: z.string() }).optional(),
});
export type GitlabRelease = z.infer<typeof releaseSchema>;

/** `GET /templates/gitlab_ci_ymls/:key` (templates/gitlab_ci_ymls.md). */
export const ciTemplateSchema = z.object({ name: z.string(), content: z.string() });

/**
 * `GET /projects/:id/variables`, `/groups/:id/variables` (project_level_variables.md,
 * group_level_variables.md) and `/admin/ci/variables` (instance_level_ci_variables.md, which has
 * no `environment_scope`). A hidden variable's value is not returned (`null`).
 */
export const variableSchema = z.object({
  key: z.string(),
  value: z.string().nullable(),
  variable_type: z.enum(['env_var', 'file']),
  protected: z.boolean(),
  masked: z.boolean(),
  hidden: z.boolean().optional(),
  raw: z.boolean().optional(),
  environment_scope: z.string().optional(),
  description: z.string().nullable().optional(),
});
export type ApiVariable = z.infer<typeof variableSchema>;

/** `GET /projects/:id/protected_branches` and `/protected_tags`: names, possibly with `*` wildcards. */
export const protectedRefSchema = z.object({ name: z.string() });

/** `GET /user` (users.md, "Get the current user"). */
export const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  bot: z.boolean().optional(),
  is_admin: z.boolean().optional(),
});

/** `GET /personal_access_tokens/self` (personal_access_tokens.md); project and group tokens too. */
export const tokenSelfSchema = z.object({
  name: z.string(),
  scopes: z.array(z.string()),
  active: z.boolean().optional(),
  expires_at: z.string().nullable().optional(),
});

/** `GET /oauth/token/info` (oauth2.md, "Retrieve the token information"). */
export const oauthTokenInfoSchema = z.object({
  scope: z.array(z.string()).optional(),
  scopes: z.array(z.string()).optional(),
  expires_in: z.number().nullable().optional(),
});

/** `GET /version` (version.md). */
export const versionSchema = z.object({ version: z.string(), revision: z.string().optional() });
