import type { GitlabApiClient } from '../http/api-client.js';
import { oauthTokenInfoSchema, tokenSelfSchema, userSchema, versionSchema } from './schemas.js';

/** `GET /user`: who the token acts as. */
export function getCurrentUser(client: GitlabApiClient) {
  return client.json('/user', userSchema, { what: 'current user' });
}

/** `GET /personal_access_tokens/self`: a personal, project or group access token's name and scopes. */
export function getAccessTokenSelf(client: GitlabApiClient) {
  return client.json('/personal_access_tokens/self', tokenSelfSchema, { what: 'access token' });
}

/** `GET /oauth/token/info` (outside `/api/v4`): an OAuth token's scopes. */
export async function getOauthTokenInfo(client: GitlabApiClient) {
  const info = await client.instanceJson('/oauth/token/info', oauthTokenInfoSchema, { what: 'OAuth token' });
  return { scopes: info.scopes ?? info.scope ?? [], expiresIn: info.expires_in ?? null };
}

/** `GET /version`: the instance's GitLab version. */
export function getVersion(client: GitlabApiClient) {
  return client.json('/version', versionSchema, { what: 'version' });
}
