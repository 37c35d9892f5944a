// A Node.js service image on a public base, as a TypeScript build program. It names
// `node:24-alpine`, so building it needs that image (a registry, or `docker save`d into the
// local store); offline it can still be compiled: `tsbuild debug build-llb examples/node-app/build.ts`.
import { cache, copy, image, type BuildContext } from 'tsbuild';

export default (ctx: BuildContext) => {
  const src = ctx.local('context', { exclude: ['node_modules', 'build.ts', 'Dockerfile'] });
  const base = image('node:24-alpine').dir('/app').env('NODE_ENV', 'production');

  // Dependencies first: only package.json is read, so source edits reuse this layer.
  const deps = base
    .file(copy(src, 'package.json', '/app/package.json'))
    .run('npm install --omit=dev', { mounts: [cache('/root/.npm', { id: 'npm' })], customName: 'npm install' })
    .root();

  const app = deps.file(copy(src, 'src/', '/app/src/', { copyDirContents: true, createDestPath: true }), { customName: 'copy sources' });
  return {
    state: app.user('node'),
    image: { cmd: ['node', 'src/server.js'], exposedPorts: [3000], user: 'node' },
  };
};
