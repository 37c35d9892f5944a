// The SSH agent forwarding service, against a real unix socket: bytes the daemon sends reach the
// agent, the agent's answer comes back, and an id that was not given is refused.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkAgent, forwardAgent } from '../../remote/ssh-forward.ts';
import { decodeBytesMessage, encodeBytesMessage } from '../../remote/control.ts';
import type { ServerCall } from '../../remote/grpc.ts';
import { MessageQueue } from '../../remote/message-queue.ts';
import { Writer } from '../../remote/wire.ts';

describe('ssh forwarding', () => {
  let dir: string;
  let agent: net.Server;
  let socket: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-ssh-fwd-'));
    socket = join(dir, 'agent.sock');
    agent = net.createServer((c) => c.on('data', (d: Buffer) => c.end(`pong:${d.toString()}`)));
    await new Promise<void>((r) => agent.listen(socket, r));
  });
  afterAll(async () => {
    agent.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('ForwardAgent pipes both ways; CheckAgent knows only the ids given', async () => {
    const incoming = new MessageQueue<Uint8Array>();
    const sent: Uint8Array[] = [];
    const call: ServerCall = { path: 'fwd', metadata: { 'buildkit.ssh.id': 'work' }, messages: incoming, send: async (m) => void sent.push(m) };
    const done = forwardAgent(call, { work: socket });
    incoming.push(encodeBytesMessage(Buffer.from('ping')));
    await done;
    expect(Buffer.concat(sent.map((m) => decodeBytesMessage(m))).toString()).toBe('pong:ping');
    incoming.end();

    const ask = (id: string) => {
      const q = new MessageQueue<Uint8Array>();
      q.push(new Writer().string(1, id).finish());
      q.end();
      return checkAgent({ path: 'check', metadata: {}, messages: q, send: async () => {} }, { work: socket });
    };
    await expect(ask('work')).resolves.toBeUndefined();
    await expect(ask('other')).rejects.toThrow(/unset ssh forward key other/);
  });
});
