import { describe, expect, it } from 'vitest';
import { parsePushThroughConfig } from './push-through.js';

describe('parsePushThroughConfig', () => {
  it('accepts the documented keys and expands $VAR references', () => {
    expect(
      parsePushThroughConfig(
        { url: 'https://registry.example.com', username: 'ci', password: '$PT_SECRET', enabled: true },
        { PT_SECRET: 's3cret' },
      ),
    ).toEqual({ url: 'https://registry.example.com', username: 'ci', password: 's3cret', enabled: true });
    expect(parsePushThroughConfig(null)).toBeUndefined();
  });

  it('takes resolved values as they are when there is no environment to expand from', () => {
    expect(
      parsePushThroughConfig({ url: 'https://registry.example.com', password: 'pa$word' }, null),
    ).toEqual({
      url: 'https://registry.example.com',
      password: 'pa$word',
    });
  });

  it.each([
    [{ url: 'ftp://x' }, /http:\/\/ or https:\/\//],
    [{}, /"url"/],
    [{ url: 'https://x', enabled: 'yes' }, /"enabled" must be true or false/],
    [{ url: 'https://x', password: 3 }, /"password" must be a string/],
    [{ url: 'https://x', pasword: 'typo' }, /unknown keys: pasword/],
    [[], /expected an object/],
    [{ url: '$UNSET_PUSH_THROUGH_URL' }, /unset variables: UNSET_PUSH_THROUGH_URL/],
  ])('refuses %j', (value, message) => {
    expect(() => parsePushThroughConfig(value, {})).toThrow(message);
  });
});
