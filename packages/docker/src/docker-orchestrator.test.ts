import { describe, expect, it } from 'vitest';
import { firstHostAddress } from './docker-orchestrator.js';

describe('firstHostAddress', () => {
  it.each([
    ['172.17.0.0/16', '172.17.0.1'],
    ['172.18.0.0/16', '172.18.0.1'],
    ['192.168.5.0/24', '192.168.5.1'],
    ['10.200.3.7/20', '10.200.0.1'],
  ])('%s → %s (the address dockerd gives its default bridge)', (subnet, gateway) => {
    expect(firstHostAddress(subnet)).toBe(gateway);
  });
});
