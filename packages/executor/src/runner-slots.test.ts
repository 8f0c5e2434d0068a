import { describe, expect, it } from 'vitest';
import { RunnerSlots } from './runner-slots.js';

describe('RunnerSlots', () => {
  it('hands out slots up to its capacity, then in the order they were asked for', async () => {
    const slots = new RunnerSlots(2);
    const first = await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then((release) => {
      order.push('third');
      return release;
    });
    const fourth = slots.acquire().then((release) => {
      order.push('fourth');
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    first();
    first(); // a second release of one slot frees nothing more
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(slots.held).toBe(2);
  });

  it('gives up waiting when the job is canceled, without taking a slot', async () => {
    const slots = new RunnerSlots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('canceled'));
    await expect(waiting).rejects.toThrow('canceled');
    held();
    expect(slots.held).toBe(0);
  });

  it('lets a running job (re-attached after a restart) hold a slot past the limit; 0 is no limit', async () => {
    const slots = new RunnerSlots(1);
    await slots.acquire();
    slots.hold();
    expect(slots.held).toBe(2);
    const unlimited = new RunnerSlots(0);
    await Promise.all([unlimited.acquire(), unlimited.acquire(), unlimited.acquire()]);
    expect(unlimited.held).toBe(3);
  });
});
