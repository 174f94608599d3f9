// Random bytes for generated names and reply addresses, from the global Web Crypto object: it loads on
// first use, where importing node:crypto would cost every start-up several milliseconds.
export function randomBytes(n: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(n)).buffer);
}
