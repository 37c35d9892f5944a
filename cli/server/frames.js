// The server's wire format: one Unix socket connection per command, carrying frames of
// [channel: u8][length: u32 big-endian][payload]. Channel 0 holds JSON control messages, 1 and 2
// the command's stdout and stderr bytes. Plain JavaScript: the launcher speaks it before any
// TypeScript loads.

export const CONTROL = 0;
export const STDOUT = 1;
export const STDERR = 2;

/**
 * @param {number} channel
 * @param {Uint8Array | string} payload
 * @returns {Buffer}
 */
export function frame(channel, payload) {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** @param {unknown} message */
export function controlFrame(message) {
  return frame(CONTROL, JSON.stringify(message));
}

/** Splits a byte stream into frames, whatever the chunk boundaries. */
export class FrameReader {
  #pending = Buffer.alloc(0);

  /**
   * @param {Buffer} chunk
   * @returns {{ channel: number, payload: Buffer }[]}
   */
  push(chunk) {
    let buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out = [];
    while (buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (buf.length < 5 + length) break;
      out.push({ channel: buf.readUInt8(0), payload: buf.subarray(5, 5 + length) });
      buf = buf.subarray(5 + length);
    }
    this.#pending = buf;
    return out;
  }
}
