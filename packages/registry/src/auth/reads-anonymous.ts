import { ALLOW, type AuthorizeHook, type RegistryAuth, toRegistryAuth } from './authorizer.js';

/**
 * Pulls (and the catalog) need no credentials; everything else goes to `auth`. `/v2/` itself still
 * asks `auth`, so `docker login` sees the challenge and really checks the password.
 */
export function readsAnonymous(auth: AuthorizeHook | RegistryAuth): RegistryAuth {
  const inner = toRegistryAuth(auth);
  return {
    ...inner,
    authorize: (request) => {
      if (
        request.credentials.kind === 'none' &&
        request.actions.length > 0 &&
        request.actions.every((action) => action === 'pull')
      ) {
        return ALLOW;
      }
      return inner.authorize(request);
    },
  };
}
