/** IEEE CRC-32, incremental, as the runner computes its trace checksum (`crc32:%08x`). */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues `previous` (the CRC of the bytes before `bytes`; 0 for none). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The runner's textual form: `crc32:` and 8 lowercase hex digits. */
export function formatChecksum(crc: number): string {
  return `crc32:${crc.toString(16).padStart(8, '0')}`;
}
