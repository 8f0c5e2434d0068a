import { describe, expect, it } from 'vitest';
import { runnerIdsFromFleetFile } from './docker-objects.js';

describe("the runner's object ids", () => {
  it("reads them from glci's runner fleet file, and none from a missing or foreign one", () => {
    expect(runnerIdsFromFleetFile(JSON.stringify({ runnerIds: ['abc123', '', 7, 'def456'] }))).toEqual([
      'abc123',
      'def456',
    ]);
    expect(runnerIdsFromFleetFile(undefined)).toEqual([]);
    expect(runnerIdsFromFleetFile('not json')).toEqual([]);
    expect(runnerIdsFromFleetFile(JSON.stringify({ other: 1 }))).toEqual([]);
  });
});
