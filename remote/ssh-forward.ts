// moby.sshforward.v1.SSH: `--ssh ID=SOCKET` for a daemon. CheckAgent tells the daemon which ids
// this side can forward; each connection a RUN makes to its SSH_AUTH_SOCK becomes a
// ForwardAgent call, whose bytes are piped to and from the local agent socket.
import net from 'node:net';
import { Fields, Writer } from './wire.ts';
import { Code, GrpcError, type ServerCall } from './grpc.ts';
import { decodeBytesMessage, encodeBytesMessage } from './control.ts';

/** The metadata key that names the forwarded id on ForwardAgent calls. */
const KEY_SSH_ID = 'buildkit.ssh.id';

function lookup(agents: Readonly<Record<string, string>>, id: string): string {
  const socket = agents[id || 'default'];
  if (socket === undefined) throw new GrpcError(Code.NOT_FOUND, `unset ssh forward key ${id || 'default'}: pass --ssh ${id || 'default'}=SOCKET`);
  return socket;
}

export async function checkAgent(call: ServerCall, agents: Readonly<Record<string, string>>): Promise<void> {
  let request: Uint8Array = new Uint8Array();
  for await (const m of call.messages) request = m;
  lookup(agents, new Fields(request).string(1));
  await call.send(new Writer().finish());
}

export async function forwardAgent(call: ServerCall, agents: Readonly<Record<string, string>>): Promise<void> {
  const raw = call.metadata[KEY_SSH_ID];
  const socketPath = lookup(agents, (Array.isArray(raw) ? raw[0] : raw) ?? '');
  const conn = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', (e) => reject(new GrpcError(Code.UNAVAILABLE, `ssh agent at ${socketPath}: ${e.message}`)));
  });
  // The daemon's end of the stream half-closes the agent connection; the call is over when the
  // agent has closed its side.
  void (async () => {
    for await (const m of call.messages) {
      if (!conn.write(decodeBytesMessage(m))) await new Promise((r) => conn.once('drain', r));
    }
    conn.end();
  })().catch(() => conn.destroy());
  try {
    for await (const chunk of conn as AsyncIterable<Buffer>) await call.send(encodeBytesMessage(chunk));
  } finally {
    conn.destroy();
  }
}
