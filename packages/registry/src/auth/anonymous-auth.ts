import { ALLOW, type AuthorizeHook } from './authorizer.js';

/** Everyone may do everything: the default, for local use and tests. */
export function anonymousAuth(): AuthorizeHook {
  return () => ALLOW;
}
