// CRC-32 (IEEE 802.3, as zlib computes it), table-driven. Node 20 has no built-in one; records on
// disk carry it so a torn or corrupted record is recognised after a crash.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC of buf[start, end), continuing from a previous CRC when given. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
