import { describe, expect, it } from 'vitest';
import { PathExistsError, type StorageDriver } from './storage-driver.js';

/**
 * The contract clauses the stores' upload-session leases and leftover reclaiming rest on:
 * exclusive `putContent` and `pendingWriters`. Part of `describeStorageDriver`, run inside its
 * per-test directory (`at`).
 */
export function describeLeaseClauses(context: () => { driver: StorageDriver; at: (path: string) => string }) {
  describe('exclusive putContent', () => {
    it('creates a file that does not exist', async () => {
      const { driver, at } = context();
      await driver.putContent(at('/lease/one'), text('mine'), { exclusive: true });
      expect(decode(await driver.getContent(at('/lease/one')))).toBe('mine');
    });

    it('refuses a taken path with PathExistsError and leaves its content', async () => {
      const { driver, at } = context();
      await driver.putContent(at('/lease/one'), text('first'));
      await expect(
        driver.putContent(at('/lease/one'), text('second'), { exclusive: true }),
      ).rejects.toBeInstanceOf(PathExistsError);
      await expect(
        driver.putContent(at('/lease/one'), text('third'), { exclusive: true, durable: false }),
      ).rejects.toBeInstanceOf(PathExistsError);
      expect(decode(await driver.getContent(at('/lease/one')))).toBe('first');
    });

    it('lets exactly one of many concurrent creators win, with its whole content', async () => {
      const { driver, at } = context();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, index) =>
          driver.putContent(at('/lease/race'), text(`writer ${index}`), { exclusive: true }),
        ),
      );
      const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(PathExistsError);
      }
      expect(decode(await driver.getContent(at('/lease/race')))).toBe(`writer ${winners[0]}`);
    });

    it('creates again once the file was deleted', async () => {
      const { driver, at } = context();
      await driver.putContent(at('/lease/again'), text('1'), { exclusive: true });
      await driver.delete(at('/lease/again'));
      await driver.putContent(at('/lease/again'), text('2'), { exclusive: true });
      expect(decode(await driver.getContent(at('/lease/again')))).toBe('2');
    });
  });

  describe('pendingWriters (optional)', () => {
    it('lists closed, uncommitted writers at and below a path, and nothing else', async () => {
      const { driver, at } = context();
      if (!driver.pendingWriters) return;
      const before = new Date(Date.now() - 60_000);
      for (const name of ['/p/a/data', '/p/b/data', '/q/data']) {
        const writer = await driver.writer(at(name));
        await writer.write(text('bytes'));
        await writer.close();
      }
      const committed = await driver.writer(at('/p/c/data'));
      await committed.write(text('published'));
      await committed.commit();
      const found = await driver.pendingWriters(at('/p'));
      expect(found.map((writer) => writer.path).sort()).toEqual([at('/p/a/data'), at('/p/b/data')]);
      for (const writer of found) expect(writer.modifiedAt.getTime()).toBeGreaterThan(before.getTime());
      expect((await driver.pendingWriters(at('/q/data'))).map((writer) => writer.path)).toEqual([
        at('/q/data'),
      ]);
      await driver.delete(at('/p/a'));
      expect((await driver.pendingWriters(at('/p'))).map((writer) => writer.path)).toEqual([at('/p/b/data')]);
      expect(await driver.pendingWriters(at('/missing'))).toEqual([]);
    });
  });
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function decode(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}
