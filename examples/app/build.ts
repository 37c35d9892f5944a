// The example app image, written as a TypeScript build program (the same image as a Dockerfile
// is ./Dockerfile). Build it with:
//   tsbuild build -f examples/app/build.ts -t app:latest examples/app
import { cache, copy, image, merge, mkdir, scratch, type BuildContext, type ImageSpec } from 'tsbuild';

export default (ctx: BuildContext) => {
  const context = ctx.local('context', { exclude: ['build.ts', 'Dockerfile'] });
  const base = image('busybox').dir('/app');

  // Stage "deps": reads only deps.txt, so editing the sources reuses it; the cache mount keeps
  // the package cache between builds without putting it in a layer.
  const deps = base
    .file(copy(context, 'deps.txt', '/app/deps.txt', { createDestPath: true }))
    .run(
      'mkdir -p /app/deps /var/cache/pkgs && for d in $(cat deps.txt); do ' +
        '[ -f /var/cache/pkgs/$d ] || echo "$d@1.0.0" > /var/cache/pkgs/$d; cp /var/cache/pkgs/$d /app/deps/; done ' +
        '&& ls /app/deps | tr "\\n" " " > /tmp/installed.txt && mv /tmp/installed.txt /app/deps/installed.txt',
      { mounts: [cache('/var/cache/pkgs', { id: 'example-pkgs' })], customName: 'install dependencies' },
    )
    .root();

  // Stage "build", independent of "deps" (the solver runs both at once): turns the sources into
  // what ships, here a checked script and its checksum.
  const built = image('busybox')
    .dir('/src')
    .file(copy(context, 'src/', '/src/', { copyDirContents: true, createDestPath: true }), { customName: 'copy sources' })
    .run('mkdir -p /out && cp greet.sh /out/greet.sh && chmod 755 /out/greet.sh && sha256sum greet.sh > /out/CHECKSUM', {
      customName: 'compile',
    })
    .root();

  // The final image: dependencies, then only the build's output and the app's name.
  const app = deps.file(copy(built, '/out/', '/app/', { copyDirContents: true }).copy(context, 'NAME', '/app/NAME'), {
    customName: 'copy build output',
  });

  // An independent layer, built from scratch and stacked with merge (like COPY --link): changing
  // it never rebuilds the app, and the app's layers are reused as they are.
  const config = scratch().file(mkdir('/etc/app', 0o755, { makeParents: true }).mkfile('/etc/app/config.json', 0o644, '{"greeting":"hello"}\n'), {
    customName: 'write config',
  });

  const state = merge([app, config], { customName: 'assemble' });
  const spec: ImageSpec = {
    cmd: ['/app/greet.sh'],
    workdir: '/app',
    env: { APP_ENV: 'production' },
    labels: { 'org.opencontainers.image.title': 'tsbuild example app' },
    exposedPorts: [8080],
  };
  return { state, image: spec };
};
