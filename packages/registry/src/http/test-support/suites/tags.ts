import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsOf, imageManifest, putManifest, startTestRegistry, type TestRegistry } from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

/** Tag listing and its paging, on `storage`. */
export function describeTags(storage: TestStorage): void {
  describe(`tags list (${storage.kind})`, () => {
    let registry: TestRegistry;
    const tags = ['1.0', '1.1', '2.0', 'alpha', 'beta', 'latest'];

    beforeAll(async () => {
      registry = await startTestRegistry({ storage });
      const manifest = await imageManifest(registry, 'list/app');
      for (const tag of [...tags].reverse()) {
        expect((await putManifest(registry, 'list/app', tag, manifest)).status).toBe(201);
      }
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    async function list(
      query = '',
    ): Promise<{ body: { name: string; tags: string[] }; link: string | null }> {
      const response = await registry.fetch(`/v2/list/app/tags/list${query}`);
      expect(response.status).toBe(200);
      return {
        body: (await response.json()) as { name: string; tags: string[] },
        link: response.headers.get('link'),
      };
    }

    it('lists every tag in lexical order without a Link', async () => {
      expect(await list()).toEqual({ body: { name: 'list/app', tags }, link: null });
    });

    it('pages with n and follows Link until the end', async () => {
      const seen: string[] = [];
      let query = '?n=4';
      const links: string[] = [];
      for (;;) {
        const { body, link } = await list(query);
        seen.push(...body.tags);
        if (!link) break;
        links.push(link);
        const match = /^<([^>]+)>; rel="next"$/.exec(link);
        expect(match).not.toBeNull();
        query = (match?.[1] as string).replace('/v2/list/app/tags/list', '');
      }
      expect(seen).toEqual(tags);
      expect(links).toEqual(['</v2/list/app/tags/list?n=4&last=alpha>; rel="next"']);
    });

    it('starts strictly after last', async () => {
      expect((await list('?last=2.0')).body.tags).toEqual(['alpha', 'beta', 'latest']);
      expect((await list('?n=1&last=alpha')).body.tags).toEqual(['beta']);
    });

    it('n=0 → an empty list and no Link', async () => {
      expect(await list('?n=0')).toEqual({ body: { name: 'list/app', tags: [] }, link: null });
    });

    it('n exactly the number of tags → no Link', async () => {
      expect((await list(`?n=${tags.length}`)).link).toBeNull();
    });

    it('caps a page at the registry page size and says so with Link', async () => {
      await using small = await startTestRegistry({ storage, pageSize: 2 });
      const manifest = await imageManifest(small, 'cap/app');
      for (const tag of ['a', 'b', 'c']) await putManifest(small, 'cap/app', tag, manifest);
      const response = await small.fetch('/v2/cap/app/tags/list');
      expect(((await response.json()) as { tags: string[] }).tags).toEqual(['a', 'b']);
      expect(response.headers.get('link')).toBe('</v2/cap/app/tags/list?n=2&last=b>; rel="next"');
    });

    it.each(['?n=-1', '?n=abc', '?n=1.5'])('a bad n (%s) → 400', async (query) => {
      const response = await registry.fetch(`/v2/list/app/tags/list${query}`);
      expect(response.status).toBe(400);
      expect((await errorsOf(response))[0]?.code).toBe('PAGINATION_NUMBER_INVALID');
    });

    it('an unknown repository → 404 NAME_UNKNOWN', async () => {
      const response = await registry.fetch('/v2/never/pushed/tags/list');
      expect(response.status).toBe(404);
      expect((await errorsOf(response))[0]?.code).toBe('NAME_UNKNOWN');
    });
  });
}
