// A client's stdout or stderr inside the server: bytes written here travel to the client as
// frames, and the stream reports the client's terminal (is it one, its size, its colours), so the
// progress view picks the same renderer and width it would in the client's own process.
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { frame } from './frames.ts';

export interface StreamInfo {
  readonly isTTY: boolean;
  readonly columns?: number;
  readonly rows?: number;
  /** 1, 4, 8 or 24, as `tty.WriteStream.getColorDepth()` answers. */
  readonly colorDepth: number;
}

export class ForwardStream extends Writable {
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  readonly rows: number | undefined;
  readonly #colorDepth: number;

  constructor(socket: Socket, channel: number, info: StreamInfo) {
    super({
      write(chunk: Buffer, _encoding, callback) {
        if (socket.destroyed) return callback();
        // The callback waits for the socket: a slow client slows the command, as a pipe would.
        socket.write(frame(channel, chunk), () => callback());
      },
    });
    this.isTTY = info.isTTY;
    this.columns = info.columns;
    this.rows = info.rows;
    this.#colorDepth = info.colorDepth;
  }

  getColorDepth(): number {
    return this.#colorDepth;
  }

  hasColors(count = 16): boolean {
    return 2 ** this.#colorDepth >= count;
  }
}
