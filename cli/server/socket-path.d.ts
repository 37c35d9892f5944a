export const MAX_SOCKET_PATH: number;
/** `<root>/run/server.sock` for the state root `env` names. */
export function serverSocketPath(env: NodeJS.ProcessEnv): string;
