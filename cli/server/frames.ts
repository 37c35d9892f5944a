// The server's wire format: one Unix socket connection per command, carrying frames of
// [channel: u8][length: u32 big-endian][payload]. Channel 0 holds JSON control messages, 1 and 2
// the command's stdout and stderr bytes.

export const CONTROL = 0 as const;
export const STDOUT = 1 as const;
export const STDERR = 2 as const;

export function frame(channel: number, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

export function controlFrame(message: unknown): Buffer {
  return frame(CONTROL, JSON.stringify(message));
}

/** Splits a byte stream into frames, whatever the chunk boundaries. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { channel: number; payload: Buffer }[] {
    let buf: Buffer = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: { channel: number; payload: Buffer }[] = [];
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
