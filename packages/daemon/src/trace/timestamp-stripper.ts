/**
 * Removes the per-line headers gitlab-runner writes when log timestamps are on (`FF_TIMESTAMPS`,
 * `FF_USE_TIMESTAMPS`): every record is
 *
 *     2024-06-03T10:12:13.123456Z 01O+<content>\n
 *     └─ 28 bytes, space included ─┘│└ append flag: ' ' new line, '+' continues the last line
 *                                 │└─ stream type: O stdout, E stderr
 *                                 └── stream id, 2 hex digits (00 executor, 01 build, 0f+ services)
 *
 * A record always ends with `\n`, even where the runner only flushed a partial line (a `\r`
 * progress update, a section marker, an 8 KiB chunk of a long line); the next record of that
 * stream then carries `+`, and the `\n` before it was not part of the output. So each record's
 * `\n` is held back until the next record shows whether it was real.
 *
 * Byte-oriented and incremental: chunks may split a header anywhere.
 */

export const TIMESTAMP_HEADER_LENGTH = 32;
const HEADER = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z [0-9a-f]{2}[OE][ +]$/;
const NEWLINE = 0x0a;

/** Whether `bytes` starts with a runner timestamp header. */
export function startsWithTimestampHeader(bytes: Uint8Array): boolean {
  if (bytes.length < TIMESTAMP_HEADER_LENGTH) return false;
  return HEADER.test(Buffer.from(bytes.buffer, bytes.byteOffset, TIMESTAMP_HEADER_LENGTH).toString('latin1'));
}

export class TimestampStripper {
  /** Bytes of a header not complete yet. */
  #header = Buffer.alloc(0);
  /** Inside a record's content (after its header, before its `\n`). */
  #inContent = false;
  /** The stream whose record ended last; its `\n` is held back. */
  #pendingNewlineStream: string | undefined;
  #currentStream = '';

  /** Returns the log content in `chunk`, headers removed. */
  push(chunk: Uint8Array): Buffer {
    const output: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#inContent) {
        const newline = chunk.indexOf(NEWLINE, offset);
        if (newline === -1) {
          output.push(Buffer.from(chunk.subarray(offset)));
          offset = chunk.length;
        } else {
          output.push(Buffer.from(chunk.subarray(offset, newline)));
          this.#inContent = false;
          this.#pendingNewlineStream = this.#currentStream;
          offset = newline + 1;
        }
        continue;
      }
      const wanted = TIMESTAMP_HEADER_LENGTH - this.#header.length;
      const piece = chunk.subarray(offset, offset + wanted);
      const newline = piece.indexOf(NEWLINE);
      if (newline !== -1) {
        // A line shorter than a header cannot have one: it is plain content.
        output.push(this.#takePendingNewline(), this.#header, Buffer.from(piece.subarray(0, newline)));
        this.#header = Buffer.alloc(0);
        this.#pendingNewlineStream = '';
        offset += newline + 1;
        continue;
      }
      this.#header = Buffer.concat([this.#header, piece]);
      offset += piece.length;
      if (this.#header.length < TIMESTAMP_HEADER_LENGTH) continue;
      output.push(this.#startRecord(this.#header));
      this.#header = Buffer.alloc(0);
    }
    return Buffer.concat(output);
  }

  /** The rest: a held-back `\n`, and a header cut short (kept as text, it is not a header). */
  end(): Buffer {
    const rest = [
      this.#pendingNewlineStream !== undefined ? Buffer.from('\n') : Buffer.alloc(0),
      this.#header,
    ];
    this.#pendingNewlineStream = undefined;
    this.#header = Buffer.alloc(0);
    return Buffer.concat(rest);
  }

  #startRecord(header: Buffer): Buffer {
    const text = header.toString('latin1');
    if (!HEADER.test(text)) {
      // Not a header (a log that mixes plain lines in): keep the bytes as content.
      const held = this.#takePendingNewline();
      this.#inContent = true;
      this.#currentStream = '';
      return Buffer.concat([held, header]);
    }
    const stream = text.slice(28, 30);
    const append = text[31] === '+';
    this.#currentStream = stream;
    this.#inContent = true;
    if (append && this.#pendingNewlineStream === stream) {
      this.#pendingNewlineStream = undefined;
      return Buffer.alloc(0);
    }
    return this.#takePendingNewline();
  }

  #takePendingNewline(): Buffer {
    if (this.#pendingNewlineStream === undefined) return Buffer.alloc(0);
    this.#pendingNewlineStream = undefined;
    return Buffer.from('\n');
  }
}
