import type { Logger } from '@glci/config';
import { DaemonHttpError, type DaemonService, type DaemonServiceContext } from '@glci/daemon';
import {
  connectGitlab,
  type FetchProgress,
  type GitlabConnection,
  GitlabError,
  type GitlabSession,
  gitlabSessionSchema,
  instanceFromWire,
  SecretsStore,
  variablesToWire,
} from '@glci/gitlab';
import { Router } from 'express';
import { z } from 'zod';

const variablesRequestSchema = z.object({
  session: gitlabSessionSchema,
  project: z.string().min(1),
});

/**
 * The daemon's side of the GitLab connection: the one secrets store (CI/CD variables held in
 * memory for `[gitlab] secrets_ttl`, never written anywhere), and connections made from what a
 * command sends (`GitlabSession`: the instance it resolved, with the token, and its flags).
 *
 * ```
 * POST /gitlab/variables   {session, project} → {variables?, notes}   (glci show / variables / lint)
 * ```
 * `glci run`'s pipeline service plans through `connection()`.
 */
export class GitlabService implements DaemonService {
  readonly name = 'gitlab';
  readonly router: Router = Router();
  readonly #store = new SecretsStore({ ttlMs: 6 * 60 * 60_000 });
  #logger: Logger | undefined;
  #glciHome: string | undefined;

  constructor() {
    this.router.post('/gitlab/variables', async (req, res) => {
      const parsed = variablesRequestSchema.safeParse(req.body);
      if (!parsed.success)
        throw new DaemonHttpError(400, 'bad-request', 'expected {session, project} for /gitlab/variables');
      const connection = this.connection(parsed.data.session);
      try {
        const variables = await connection.variables(parsed.data.project);
        res.json({
          ...(variables ? { variables: variablesToWire(variables) } : {}),
          notes: connection.notes(),
        });
      } catch (error) {
        if (error instanceof GitlabError) throw new DaemonHttpError(502, 'gitlab', error.message);
        throw error;
      }
    });
  }

  async start(context: DaemonServiceContext): Promise<void> {
    this.#logger = context.logger;
    this.#glciHome = context.glciHome;
  }

  async stop(): Promise<void> {
    this.#store.clear();
  }

  /** A connection for one command's planning, sharing the daemon's secrets store. */
  connection(
    session: GitlabSession,
    options: { readonly onProgress?: (event: FetchProgress) => void } = {},
  ): GitlabConnection {
    if (!this.#logger || !this.#glciHome) throw new Error('the gitlab service has not been started');
    const parsed = gitlabSessionSchema.parse(session);
    return connectGitlab({
      instance: instanceFromWire(parsed.instance),
      glciHome: this.#glciHome,
      logger: this.#logger,
      store: this.#store,
      secrets: parsed.secrets,
      refreshSecrets: parsed.refreshSecrets,
      refreshIncludes: parsed.refreshIncludes,
      offline: parsed.offline,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
}
