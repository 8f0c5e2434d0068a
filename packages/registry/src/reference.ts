/**
 * Repository names and tags, validated by the OCI distribution spec's grammar. Anything that does
 * not match (path tricks such as `..`, encoded slashes, upper case, absurd lengths) is refused.
 */
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_PATTERN = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Clients cap `host[:port]/name` at 255 characters; names longer than this are refused. */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}
