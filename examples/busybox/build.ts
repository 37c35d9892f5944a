// A base image from nothing but the host's static busybox: the layer is just a tarball of the
// files below. The setup script builds it with
//   tsbuild build -f examples/busybox/build.ts --local busybox=/usr/bin -t busybox:latest examples/busybox
// so later builds (`FROM busybox`) find it in the local image store, with no registry.
import { execFileSync } from 'node:child_process';
import { mkdir, scratch, type BuildContext, type ImageSpec } from 'tsbuild';

const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const group = 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n';

export default (ctx: BuildContext) => {
  const host = ctx.local('busybox', { include: ['busybox'] });
  // The applets this busybox provides, each a symlink to it where busybox says it belongs
  // (`/usr/bin/env`, `/sbin/ip`…: what `busybox --install -s` does), so scripts with
  // `#!/usr/bin/env sh` work.
  const applets = execFileSync('/usr/bin/busybox', ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((path) => path && path !== 'bin/busybox');
  let files = mkdir('/bin', 0o755)
    .mkdir('/sbin', 0o755)
    .mkdir('/usr/bin', 0o755, { makeParents: true })
    .mkdir('/usr/sbin', 0o755)
    .copy(host, '/busybox', '/bin/busybox')
    .mkdir('/etc', 0o755)
    .mkfile('/etc/passwd', 0o644, passwd)
    .mkfile('/etc/group', 0o644, group)
    .mkdir('/tmp', 0o1777)
    .mkdir('/root', 0o700)
    .mkdir('/home/app', 0o755, { makeParents: true, chown: { user: 1000, group: 1000 } });
  for (const applet of applets) files = files.symlink('/bin/busybox', `/${applet}`);
  const state = scratch().file(files, { customName: 'busybox rootfs' });
  const image: ImageSpec = { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, cmd: ['sh'] };
  return { state, image };
};
