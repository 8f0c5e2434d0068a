import { describe, expect, it } from 'vitest';
import { Inflight } from './inflight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Inflight', () => {
  it('runs one task for concurrent callers of a key and shares its result', async () => {
    const flights = new Inflight<string, number>();
    const gate = deferred<number>();
    let runs = 0;
    const task = () => {
      runs += 1;
      return gate.promise;
    };
    const calls = Array.from({ length: 20 }, () => flights.run('a', task));
    const other = flights.run('b', async () => 7);
    gate.resolve(42);
    expect(await Promise.all(calls)).toEqual(Array(20).fill(42));
    expect(await other).toBe(7);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    // released: a later call runs again
    await flights.run('a', task);
    expect(runs).toBe(2);
  });

  it('shares failures and releases the key after them', async () => {
    const flights = new Inflight<string, number>();
    const gate = deferred<number>();
    const first = flights.run('k', () => gate.promise);
    const second = flights.run('k', async () => 1);
    gate.reject(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await expect(second).rejects.toThrow('boom');
    expect(await flights.run('k', async () => 2)).toBe(2);
  });

  it('holds a key until the hold settles, so late callers join', async () => {
    const flights = new Inflight<string, string>();
    const hold = deferred<void>();
    const value = await flights.runHeld(
      'x',
      async () => 'download',
      () => hold.promise,
    );
    expect(value).toBe('download');
    expect(
      await flights.runHeld(
        'x',
        async () => 'second',
        async () => {},
      ),
    ).toBe('download');
    expect(flights.get('x')).toBeDefined();
    hold.resolve();
    await hold.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(flights.get('x')).toBeUndefined();
  });

  it('keeps separate instances apart', async () => {
    const one = new Inflight<string, number>();
    const two = new Inflight<string, number>();
    const gate = deferred<number>();
    const a = one.run('k', () => gate.promise);
    const b = two.run('k', async () => 2);
    gate.resolve(1);
    expect([await a, await b]).toEqual([1, 2]);
  });
});
