// biome-ignore-all lint/suspicious/noControlCharactersInRegex: ANSI escape sequences begin with ESC (\x1b); matching them is this module's job.
/**
 * The few ANSI escape rules trace rendering needs. A job log carries SGR (colour) sequences, which
 * are kept on a terminal, and erase/cursor sequences (`\e[0K` after every section marker), which
 * mean nothing once the log is cut into lines and are always dropped.
 */

/** CSI (`ESC [ params intermediates final`), OSC (`ESC ] … BEL|ST`) and two-byte escapes. */
const ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const SGR = /^\x1b\[([0-9;:]*)m$/;

/** Removes every escape sequence. */
export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ESCAPE, '') : text;
}

/** Removes every escape sequence except SGR (colours and styles). */
export function keepSgrOnly(text: string): string {
  if (!text.includes('\x1b')) return text;
  return text.replace(ESCAPE, (sequence) => (SGR.test(sequence) ? sequence : ''));
}

/**
 * The SGR attributes in force after some text, so that a colour a line leaves open can be closed
 * at its end and re-opened at the start of the next line (each printed line gets its own prefix).
 */
export class SgrState {
  #active: string[] = [];

  /** Applies the SGR sequences in `text`, in order. */
  update(text: string): void {
    if (!text.includes('\x1b[')) return;
    for (const match of text.matchAll(/\x1b\[([0-9;:]*)m/g)) {
      const params = (match[1] ?? '').split(';');
      for (let index = 0; index < params.length; index++) {
        const param = params[index] ?? '';
        if (param === '' || param === '0') {
          // `ESC[m`, `ESC[0m` and `ESC[0;m` reset everything; `ESC[0;31m` resets, then sets red.
          this.#active = [];
        } else if ((param === '38' || param === '48' || param === '58') && params[index + 1] === '5') {
          this.#active.push(params.slice(index, index + 3).join(';'));
          index += 2;
        } else if ((param === '38' || param === '48' || param === '58') && params[index + 1] === '2') {
          this.#active.push(params.slice(index, index + 5).join(';'));
          index += 4;
        } else {
          this.#active.push(param);
        }
      }
    }
    // Colour changes without a reset would otherwise grow without bound.
    if (this.#active.length > 16) this.#active = this.#active.slice(-16);
  }

  /** The sequence that re-establishes the current attributes; empty when none are set. */
  get prefix(): string {
    return this.#active.length > 0 ? `\x1b[${this.#active.join(';')}m` : '';
  }

  get active(): boolean {
    return this.#active.length > 0;
  }
}

export const RESET = '\x1b[0m';

/** The SGR sequences in `text`, in order. */
export function sgrSequences(text: string): string[] {
  return text.match(/\x1b\[[0-9;:]*m/g) ?? [];
}
