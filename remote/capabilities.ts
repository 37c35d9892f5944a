// What an older daemon can run. A definition names the LLB capabilities each op relies on
// (OpMetadata.caps); BuildKit does not check them when it is handed a definition, and an op using
// a field it does not know would run wrong or fail obscurely, so they are checked here first.
import { decodeOp, type Definition } from '../llb/index.ts';

/** The capability ids of BuildKit v0.8 (solver/pb/caps.go), the BuildKit in docker 20.10. */
export const BUILDKIT_0_8_CAPS: ReadonlySet<string> = new Set([
  'source.image',
  'source.image.resolvemode',
  'source.local',
  'source.local.unique',
  'source.local.sessionid',
  'source.local.includepatterns',
  'source.local.followpaths',
  'source.local.excludepatterns',
  'source.local.sharedkeyhint',
  'source.git',
  'source.git.keepgitdir',
  'source.git.fullurl',
  'source.git.httpauth',
  'source.git.knownsshhosts',
  'source.git.mountsshsock',
  'source.http',
  'source.http.checksum',
  'source.http.perm',
  'soruce.http.uidgid', // sic: BuildKit's own spelling
  'source.buildop.llbfilename',
  'exec.meta.base',
  'exec.meta.proxyenv',
  'exec.meta.network',
  'exec.meta.security',
  'exec.meta.setsdefaultpath',
  'exec.mount.bind',
  'exec.mount.bind.readwrite-nooutput',
  'exec.mount.cache',
  'exec.mount.cache.sharing',
  'exec.mount.selector',
  'exec.mount.tmpfs',
  'exec.mount.secret',
  'exec.mount.ssh',
  'exec.cgroup',
  'exec.meta.security.devices.v1',
  'file.base',
  'file.rm.wildcard',
  'constraints',
  'platform',
  'meta.ignorecache',
  'meta.description',
  'meta.exportcache',
]);

/** Op kinds have capabilities of their own, named after the op in messages. */
const OP_CAPS: Readonly<Record<string, string>> = { mergeop: 'MergeOp', diffop: 'DiffOp' };

/** Names users know for the capabilities a build is likeliest to hit. */
const FEATURES: Readonly<Record<string, string>> = {
  mergeop: 'merge() (or COPY --link)',
  diffop: 'diff()',
  'file.symlink.create': 'a symlink file action',
  'exec.validexitcode': 'valid exit codes other than 0',
  'exec.secretenv': 'a secret as an environment variable (--mount=type=secret,env=)',
  'exec.mount.tmpfs.size': 'a tmpfs mount with a size',
  'exec.mount.cache.content': 'a cache mount with content caching options',
  'file.copy.includeexcludepatterns': 'COPY --exclude (include/exclude patterns on a copy)',
  'file.copy.requiredpaths': 'COPY --parents (required paths on a copy)',
  'file.copy.modestring': 'COPY --chmod with a symbolic mode',
  'file.copy.alwaysreplaceexistingdestpaths': 'a copy that replaces existing destination paths',
  'source.image.checksum': 'an image pinned by checksum',
  'source.ocilayout': 'an OCI layout source',
};

export interface MissingCapability {
  readonly cap: string;
  readonly feature: string;
}

/** The first capability the definition needs that is not in `supported`, with what it is for. */
export function missingCapability(def: Definition, supported: ReadonlySet<string>): MissingCapability | undefined {
  for (const md of Object.values(def.metadata ?? {})) {
    for (const [cap, on] of Object.entries(md.caps ?? {})) {
      if (on && !supported.has(cap)) return { cap: OP_CAPS[cap] ?? cap, feature: FEATURES[cap] ?? cap };
    }
  }
  for (const bytes of def.def) {
    const op = decodeOp(bytes);
    if (op.merge) return { cap: 'MergeOp', feature: 'merge() (or COPY --link)' };
    if (op.diff) return { cap: 'DiffOp', feature: 'diff()' };
  }
  return undefined;
}
