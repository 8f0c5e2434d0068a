import { describe, expect, it } from 'vitest';
import { keepSgrOnly, SgrState, stripAnsi } from './ansi.js';

describe('stripAnsi', () => {
  it('removes CSI, OSC and two-byte escapes and leaves text alone', () => {
    expect(stripAnsi('\x1b[32;1mok\x1b[0;m \x1b[0Kx\x1b]0;title\x07y\x1b]8;;http://a\x1b\\z\x1bM')).toBe(
      'ok xyz',
    );
    expect(stripAnsi('plain [brackets] 100%')).toBe('plain [brackets] 100%');
  });
});

describe('keepSgrOnly', () => {
  it('keeps colours and drops erase and cursor movement', () => {
    expect(keepSgrOnly('\x1b[0K\x1b[36;1mtitle\x1b[0;m\x1b[2A\x1b[?25l')).toBe('\x1b[36;1mtitle\x1b[0;m');
  });
});

describe('SgrState', () => {
  it.each([
    ['\x1b[31m', '\x1b[31m'],
    ['\x1b[31m\x1b[1m', '\x1b[31;1m'],
    ['\x1b[31m\x1b[0m', ''],
    ['\x1b[31m\x1b[m', ''],
    ['\x1b[31m\x1b[0;m', ''],
    ['\x1b[31m\x1b[0;32m', '\x1b[32m'],
    ['\x1b[38;5;0m', '\x1b[38;5;0m'],
    ['\x1b[48;2;0;0;0m\x1b[1m', '\x1b[48;2;0;0;0;1m'],
  ])('after %j the open attributes are %j', (text, prefix) => {
    const state = new SgrState();
    state.update(text);
    expect(state.prefix).toBe(prefix);
    expect(state.active).toBe(prefix !== '');
  });

  it('stays bounded when colours change without a reset', () => {
    const state = new SgrState();
    state.update('\x1b[31m'.repeat(100));
    expect(state.prefix.split(';')).toHaveLength(16);
  });
});
