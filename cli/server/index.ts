// The build server: a warm tsbuild process per state root that runs the launcher's builds.
export { BuildServer, answers, type ServerOptions, type ServerStatus } from './server.ts';
export { ask } from './ask.ts';
export { serverSocketPath } from './socket-path.ts';
