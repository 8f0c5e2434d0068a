import { describe, expect, it } from 'vitest';
import { parseAuthSpec, parseListen, UsageError } from './options.js';

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:5000', { host: '127.0.0.1', port: 5000 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:5000', { host: '::1', port: 5000 }],
    [':5001', { host: '127.0.0.1', port: 5001 }],
    ['5002', { host: '127.0.0.1', port: 5002 }],
  ])('%s', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each(['localhost', '127.0.0.1:', '127.0.0.1:70000', 'a:b:c', ''])('%s is refused', (value) => {
    expect(() => parseListen(value)).toThrow(UsageError);
  });
});

describe('parseAuthSpec', () => {
  it.each([
    ['none', { kind: 'none' }],
    ['basic:/etc/users', { kind: 'basic', file: '/etc/users' }],
    ['token:users.htpasswd', { kind: 'token', file: 'users.htpasswd' }],
  ])('%s', (value, expected) => {
    expect(parseAuthSpec(value)).toEqual(expected);
  });

  it.each(['basic', 'token:', 'ldap:x', 'anonymous'])('%s is refused', (value) => {
    expect(() => parseAuthSpec(value)).toThrow(UsageError);
  });
});
