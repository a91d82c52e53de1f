/** Bytes as a Buffer without a copy: the writer hands Buffers, a relay may hand a plain Uint8Array view. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
