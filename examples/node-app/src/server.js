import { createServer } from 'node:http';

createServer((_req, res) => res.end('hello from a tsbuild-built image\n')).listen(3000);
