import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBlob, startTestRegistry, type TestRegistry } from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

/** The repository catalog and its paging, on `storage`. */
export function describeCatalog(storage: TestStorage): void {
  describe(`catalog (${storage.kind})`, () => {
    let registry: TestRegistry;
    const names = ['a/one', 'a/two', 'b', 'c/d/e', 'zeta'];

    beforeAll(async () => {
      registry = await startTestRegistry({ storage });
      for (const name of [...names].reverse()) await pushBlob(registry, name, `content of ${name}`);
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    it('lists repositories in lexical order', async () => {
      const response = await registry.fetch('/v2/_catalog');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ repositories: names });
      expect(response.headers.get('link')).toBeNull();
    });

    it('pages with n/last and Link', async () => {
      const first = await registry.fetch('/v2/_catalog?n=2');
      expect(await first.json()).toEqual({ repositories: ['a/one', 'a/two'] });
      expect(first.headers.get('link')).toBe('</v2/_catalog?n=2&last=a%2Ftwo>; rel="next"');
      const second = await registry.fetch('/v2/_catalog?n=2&last=a%2Ftwo');
      expect(await second.json()).toEqual({ repositories: ['b', 'c/d/e'] });
      const third = await registry.fetch('/v2/_catalog?n=2&last=c/d/e');
      expect(await third.json()).toEqual({ repositories: ['zeta'] });
      expect(third.headers.get('link')).toBeNull();
    });

    it('n=0 → empty, no Link', async () => {
      const response = await registry.fetch('/v2/_catalog?n=0');
      expect(await response.json()).toEqual({ repositories: [] });
      expect(response.headers.get('link')).toBeNull();
    });
  });
}
