export const CONTROL: 0;
export const STDOUT: 1;
export const STDERR: 2;
export function frame(channel: number, payload: Uint8Array | string): Buffer;
export function controlFrame(message: unknown): Buffer;
export class FrameReader {
  push(chunk: Buffer): { channel: number; payload: Buffer }[];
}
