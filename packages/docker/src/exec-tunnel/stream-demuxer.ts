/**
 * Docker's multiplexed stream format (attach and exec without a TTY): every frame is an 8-byte
 * header — stream type (0 stdin, 1 stdout, 2 stderr, 3 system error), three zero bytes, the
 * payload length as a big-endian uint32 — then the payload. Incremental: a chunk may end anywhere,
 * also inside a header.
 */
export interface DemuxedChunk {
  readonly stdout: readonly Buffer[];
  readonly stderr: readonly Buffer[];
}

const HEADER = 8;

export class StreamFormatError extends Error {
  override name = 'StreamFormatError';
}

export class StreamDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still due for the current frame, and where they go. */
  #remaining = 0;
  #target: 'stdout' | 'stderr' = 'stdout';

  push(chunk: Buffer): DemuxedChunk {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, data.length);
        (this.#target === 'stdout' ? stdout : stderr).push(data.subarray(0, take));
        this.#remaining -= take;
        data = data.subarray(take);
        continue;
      }
      if (data.length < HEADER) {
        this.#pending = Buffer.from(data);
        break;
      }
      const type = data[0]!;
      if (type > 3 || data[1] !== 0 || data[2] !== 0 || data[3] !== 0) {
        throw new StreamFormatError(
          `not a multiplexed Docker stream (frame header ${data.subarray(0, HEADER).toString('hex')})`,
        );
      }
      this.#target = type === 1 ? 'stdout' : 'stderr';
      this.#remaining = data.readUInt32BE(4);
      data = data.subarray(HEADER);
    }
    return { stdout, stderr };
  }

  /** Whether the stream stopped in the middle of a frame. */
  get incomplete(): boolean {
    return this.#remaining > 0 || this.#pending.length > 0;
  }
}
