// One question to a running build server (status, stop) and its one answer.
import { connect } from 'node:net';
import { CONTROL, controlFrame, FrameReader } from './frames.ts';

/** The server's answer, or undefined when no server answers at `path`. */
export function ask(path: string, message: { type: 'status' | 'stop' }): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const reader = new FrameReader();
    socket.once('connect', () => socket.write(controlFrame(message)));
    socket.on('data', (chunk: Buffer) => {
      for (const { channel, payload } of reader.push(chunk)) {
        if (channel !== CONTROL) continue;
        socket.destroy();
        resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
      }
    });
    socket.once('error', () => resolve(undefined));
    socket.once('close', () => resolve(undefined));
  });
}
