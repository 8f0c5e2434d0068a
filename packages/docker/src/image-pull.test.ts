import { describe, expect, it } from 'vitest';
import { PullProgressTracker } from './image-pull.js';

const event = (layer: string | undefined, status: string, current?: number, total?: number) => ({
  image: 'app:1',
  layer,
  status,
  current,
  total,
});

describe('PullProgressTracker', () => {
  it('sums per-layer bytes and counts finished layers', () => {
    const tracker = new PullProgressTracker();
    tracker.update(event(undefined, 'Pulling from app'));
    tracker.update(event('aaaaaaaaaaaa', 'Already exists'));
    tracker.update(event('bbbbbbbbbbbb', 'Downloading', 100, 1000));
    tracker.update(event('cccccccccccc', 'Downloading', 50, 500));
    expect(tracker.summary()).toEqual({ current: 150, total: 1500, layers: 3, done: 1 });
    tracker.update(event('bbbbbbbbbbbb', 'Download complete'));
    tracker.update(event('bbbbbbbbbbbb', 'Extracting', 10, 1000));
    tracker.update(event('bbbbbbbbbbbb', 'Pull complete'));
    expect(tracker.summary()).toEqual({ current: 1050, total: 1500, layers: 3, done: 2 });
  });
});
