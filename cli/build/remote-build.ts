// `--builder ADDR`: the frontend runs here as for a local build, and its definition is solved by
// a BuildKit daemon. The daemon's status stream drives the same progress UI; a session serves it
// the build's local contexts, secrets and registry credentials; its exporter writes the outputs.
import type { Definition, Digest } from '../../llb/index.ts';
import { decodeOp, definitionToBytes, digestOf, NetMode, SecurityMode } from '../../llb/index.ts';
import { formatPlatform } from '../../oci/index.ts';
import { acquireBuildLock, ownPathPatterns, PathFilter } from '../../executor/index.ts';
import {
  AddressError,
  ConnectError,
  parseBuilderAddress,
  RemoteBuildError,
  RemoteBuilder,
  withDefaultNetwork,
  withIgnoreCache,
  dockerPush,
  DockerPushError,
  missingCapability,
  type Capabilities,
  type LocalDir,
} from '../../remote/index.ts';
import { UserError } from '../errors.ts';
import { compileBuild, openExecutor, type BuildHooks, type BuildResult, type CompiledBuild } from './run-build.ts';
import type { BuildRequest } from './request.ts';
import { ownPaths } from './own-paths.ts';
import { sourceLinesFor } from './source-lines.ts';
import { statusToEvents } from './remote-events.ts';
import { cacheEntry, exportedDigests, exporterFor, exportSink } from './remote-outputs.ts';
import type { VertexEvent, VertexReport } from '../../solver/index.ts';

/** The entitlements a definition asks the daemon for. */
function entitlements(def: Definition): string[] {
  const out = new Set<string>();
  for (const bytes of def.def) {
    const op = decodeOp(bytes);
    if (op.exec?.network === NetMode.HOST) out.add('network.host');
    if (op.exec?.security === SecurityMode.INSECURE) out.add('security.insecure');
  }
  return [...out];
}

function checkCapabilities(compiled: CompiledBuild, caps: Capabilities): void {
  if (!caps.caps) return;
  const missing = missingCapability(compiled.definition, caps.caps);
  if (missing) {
    throw new UserError(
      `the build uses ${missing.feature}, and the builder (${caps.description}) lacks the ${missing.cap} capability: build locally, or use a newer BuildKit daemon`,
    );
  }
}

function refuseLocalOnly(req: BuildRequest): void {
  const flags = [
    [...(req.cacheFrom ?? []), ...(req.cacheTo ?? [])].some((c) => c.type === 'local') ? '--cache-to/--cache-from type=local' : undefined,
    req.explain ? '--explain' : undefined,
    (req.platforms?.length ?? 0) > 1 ? 'several --platform values' : undefined,
  ].filter((f) => f !== undefined);
  if (flags.length > 0)
    throw new UserError(`--builder: ${flags.join(', ')} ${flags.length > 1 ? 'are' : 'is'} not supported with a BuildKit daemon yet; build locally`);
}

function localDirs(req: BuildRequest): Record<string, LocalDir> {
  const own = ownPaths(req);
  const dirs: Record<string, LocalDir> = {};
  for (const [name, dir] of Object.entries({ ...req.locals, context: req.contextDir })) {
    dirs[name] = {
      dir,
      // The build's own files are left out last, so that no `!` re-include can bring them back.
      filter: (include, exclude) => new PathFilter({ include, exclude: [...exclude, ...ownPathPatterns(dir, own)] }),
    };
  }
  return dirs;
}

/** The image config the daemon's exporter writes: the frontend's settings, labels and platform. */
function imageConfig(req: BuildRequest, compiled: CompiledBuild): string {
  const img = compiled.image ?? {};
  const config = { ...(img.config ?? {}), ...(Object.keys(req.labels).length ? { Labels: { ...(img.config?.Labels ?? {}), ...req.labels } } : {}) };
  const platform = req.platform;
  return JSON.stringify({
    architecture: platform.architecture,
    os: platform.os ?? 'linux',
    ...(platform.variant ? { variant: platform.variant } : {}),
    config,
    ...(img.history ? { history: img.history } : {}),
  });
}

/** The whole build on a daemon; failures come back as `{ ok: false }` like local ones. */
export async function runRemoteBuild(req: BuildRequest & { builder: NonNullable<BuildRequest['builder']> }, hooks: BuildHooks): Promise<BuildResult> {
  refuseLocalOnly(req);
  let address;
  try {
    address = parseBuilderAddress(req.builder.address, {
      ...(req.builder.tlsCa ? { ca: req.builder.tlsCa } : {}),
      ...(req.builder.tlsCert ? { cert: req.builder.tlsCert } : {}),
      ...(req.builder.tlsKey ? { key: req.builder.tlsKey } : {}),
      ...(req.builder.tlsServerName ? { serverName: req.builder.tlsServerName } : {}),
    });
  } catch (e) {
    if (e instanceof AddressError) throw new UserError(e.message);
    throw e;
  }
  const exporter = exporterFor(req, address.kind === 'docker' ? 'docker' : 'buildkitd');
  let builder: RemoteBuilder;
  try {
    builder = await RemoteBuilder.connect(address);
  } catch (e) {
    if (e instanceof ConnectError) throw new UserError(e.message);
    throw e;
  }
  try {
    // Base images are resolved here, as for a local build, through the local state root.
    const releaseLock = await acquireBuildLock(req.root, hooks.signal ? { signal: hooks.signal } : {});
    let compiled: CompiledBuild;
    try {
      const executor = await openExecutor(req);
      try {
        compiled = await compileBuild(req, executor, { ...hooks, capabilities: { merge: builder.capabilities.merge } });
      } finally {
        await executor.close();
      }
    } finally {
      await releaseLock();
    }
    checkCapabilities(compiled, builder.capabilities);
    const network = req.network === 'none' || req.network === 'host' ? req.network : undefined;
    const networked = network ? withDefaultNetwork(compiled.definition, network) : compiled.definition;
    const definition = req.noCache ? withIgnoreCache(networked) : networked;
    if (!exporter) hooks.onWarning?.(`no -t or -o given: the result stays in the build cache of ${address.text}`);

    const failed = new Map<Digest, string>();
    const vertices = new Map<Digest, VertexReport>();
    // The daemon reports steps of its own too (exporting, …): only the definition's are the build's.
    const ops = new Set(definition.def.map((bytes) => digestOf(bytes)));
    const sent = new Set<Digest>();
    const convert = statusToEvents();
    const sink = exporter?.exportTo?.kind === 'file' ? exportSink(exporter.exportTo.dest, hooks) : undefined;
    let response: Record<string, string>;
    try {
      response = await builder.solve({
        definition: definitionToBytes(definition),
        ...(exporter ? { exporter: { type: exporter.type, attrs: exporter.attrs } } : {}),
        resultMetadata: { 'containerimage.config': Buffer.from(imageConfig(req, compiled)) },
        session: {
          locals: localDirs(req),
          secrets: req.secrets,
          ssh: req.ssh,
          sharedKey: sharedKeyFor(req),
          ...(exporter?.exportTo?.kind === 'dir' ? { exportTo: exporter.exportTo } : sink ? { exportTo: { kind: 'stream', out: sink.out } } : {}),
        },
        entitlements: entitlements(definition),
        cacheExports: (req.cacheTo ?? []).map((c) => cacheEntry(c, 'to')),
        cacheImports: (req.cacheFrom ?? []).map((c) => cacheEntry(c, 'from')),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onStatus(status) {
          for (const event of convert(status)) {
            if (event.type === 'vertex' && event.completed !== undefined && ops.has(event.digest)) vertices.set(event.digest, reportOf(event));
            if (event.type === 'vertex' && event.error && !event.canceled) {
              failed.set(event.digest, `"${event.name}" failed: ${event.error}`);
              const lines = sourceLinesFor(definition, event.digest);
              if (lines && !sent.has(event.digest)) {
                sent.add(event.digest);
                hooks.onEvent?.({ type: 'source', vertex: event.digest, sourceLines: lines });
              }
            }
            hooks.onEvent?.(event);
          }
        },
      });
      await sink?.close();
      if (exporter?.pushed && address.kind === 'docker') {
        for (const name of exporter.names) {
          try {
            await dockerPush(address.socket, name);
          } catch (e) {
            if (e instanceof DockerPushError) return { ok: false, message: e.message, compiled };
            throw e;
          }
        }
      }
    } catch (e) {
      sink?.abort();
      if (!(e instanceof RemoteBuildError)) throw e;
      const step = [...failed.values()][0];
      const message = e.reason !== 'daemon' ? e.message : (step ?? `the BuildKit daemon (${address.text}) could not build it: ${e.message}`);
      return { ok: false, message, compiled };
    }
    return {
      ok: true,
      // The definition as sent: the vertices the daemon reported are its ops.
      compiled: { ...compiled, definition },
      outcome: { ok: true, results: [], vertices },
      exported: {
        ...exportedDigests(response, exporter),
        names: exporter && !exporter.pushed ? exporter.names : [],
        pushed: exporter?.pushed ? exporter.names : [],
        written: !exporter
          ? []
          : exporter.exportTo
            ? [`${exporter.type} ${exporter.exportTo.dest}`]
            : [`image on ${address.text} (${formatPlatform({ architecture: req.platform.architecture ?? '', os: req.platform.os ?? 'linux' })})`],
      },
    };
  } finally {
    builder.close();
  }
}

/** What the summary and watch mode read of a step the daemon finished (its keys stay there). */
function reportOf(v: VertexEvent): VertexReport {
  return {
    digest: v.digest,
    name: v.name,
    status: v.cached ? 'cached' : v.canceled ? 'canceled' : v.error !== undefined ? 'failed' : 'ran',
    volatile: false,
    perBuild: false,
    definitionKeys: new Map(),
    inputs: v.inputs.map((digest) => ({ digest, index: 0, key: undefined })),
    started: v.started,
    completed: v.completed,
  };
}

/** Per context directory, so the daemon reuses what it copied from it in an earlier build. */
function sharedKeyFor(req: BuildRequest): string {
  return `tsbuild:${req.contextDir}`;
}
