/** Deterministic content: the byte at offset `i` depends only on `i`, so any range can be regenerated. */
export function patternChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index += 1) {
    const position = offset + index;
    chunk[index] = (position * 31 + (position >>> 12)) & 0xff;
  }
  return chunk;
}
