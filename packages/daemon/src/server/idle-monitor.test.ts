import { describe, expect, it, vi } from 'vitest';
import { IdleMonitor } from './idle-monitor.js';

function setup(timeoutMs: number) {
  let now = 1000;
  let busy = false;
  const onIdle = vi.fn();
  const monitor = new IdleMonitor({ timeoutMs, now: () => now, isBusy: () => busy, onIdle });
  return {
    monitor,
    onIdle,
    advance: (ms: number) => {
      now += ms;
    },
    setBusy: (value: boolean) => {
      busy = value;
    },
  };
}

describe('IdleMonitor', () => {
  it('fires once the timeout has passed with nothing going on', () => {
    const { monitor, onIdle, advance } = setup(1000);
    advance(999);
    monitor.check();
    expect(onIdle).not.toHaveBeenCalled();
    advance(1);
    monitor.check();
    expect(onIdle).toHaveBeenCalledWith(1000);
  });

  it('counts from the end of the last busy moment', () => {
    const { monitor, onIdle, advance, setBusy } = setup(1000);
    setBusy(true);
    advance(5000);
    monitor.check();
    expect(monitor.idleFor()).toBeUndefined();
    setBusy(false);
    advance(900);
    monitor.check();
    expect(onIdle).not.toHaveBeenCalled();
    expect(monitor.idleFor()).toBe(900);
    monitor.touch(); // a request came and went between checks
    advance(500);
    monitor.check();
    expect(onIdle).not.toHaveBeenCalled();
    advance(500);
    monitor.check();
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('never fires with a timeout of 0', () => {
    const { monitor, onIdle, advance } = setup(0);
    monitor.start();
    advance(10 ** 9);
    monitor.check();
    monitor.stop();
    expect(onIdle).not.toHaveBeenCalled();
  });

  it('checks on its own timer', async () => {
    vi.useFakeTimers();
    try {
      const onIdle = vi.fn();
      const monitor = new IdleMonitor({ timeoutMs: 100, now: () => Date.now(), isBusy: () => false, onIdle });
      monitor.start();
      await vi.advanceTimersByTimeAsync(160);
      expect(onIdle).toHaveBeenCalledOnce();
      await vi.advanceTimersByTimeAsync(1000);
      expect(onIdle).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });
});
