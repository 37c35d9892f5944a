// RUN: an exec on the stage's root with the stage's env, workdir and user; `--mount`s lowered to
// bind/cache/tmpfs/secret/ssh mounts; heredocs turned into a script or an executable file.
import { posix } from 'node:path';
import { image as imageSource, mkdir, mkfile, scratch, type RunMount as LlbMount, type State } from '../../../llb/index.ts';
import { InstructionError } from '../errors.ts';
import { parseMount, type RunCommand, type RunMount } from '../instructions/index.ts';
import { chompHeredocContent, parseHeredoc } from '../parser/index.ts';
import { proxyEnvFrom } from './build-args.ts';
import type { Converter } from './convert.ts';
import { addHistory, commandLineArgs, displayText, expander, runArgEnv } from './dispatch.ts';
import type { DispatchState } from './dispatch-state.ts';
import { findStage } from './stages.ts';
import { normalizeRef } from './platform.ts';

const fail = (m: string): never => {
  throw new InstructionError(m);
};

/** A `from=` value: an earlier stage, or an image. */
export async function stateFrom(conv: Converter, d: DispatchState, from: string): Promise<State> {
  const idx = findStage(conv.stages, from, d.index);
  if (idx !== undefined) return (await conv.stage(idx)).state;
  if (conv.stages.slice(d.index).some((s) => s.name === from.toLowerCase() && s.name !== '')) {
    // a later stage's name is still an image name, as in BuildKit; say so in a warning
    conv.opts.warn?.(`"${from}" names a later stage; it is used as an image reference`, { file: conv.opts.filename, line: d.stage.node.startLine });
  }
  return imageSource(normalizeRef(from), { platform: d.platform });
}

async function lowerMount(conv: Converter, d: DispatchState, m: RunMount): Promise<LlbMount> {
  const resolveTarget = (t: string) => posix.normalize(posix.isAbsolute(t) ? t : posix.join(d.workdir, t));
  switch (m.type) {
    case 'bind': {
      // an empty target means the working directory, as in BuildKit
      const target = resolveTarget(m.target ?? '');
      if (target === '/') fail('invalid mount target "/"');
      const from = m.from ? await stateFrom(conv, d, m.from) : conv.context();
      return {
        type: 'bind',
        target,
        from,
        source: m.source ? posix.join('/', m.source) : '/',
        readonly: m.readOnly,
        ...(m.readOnly ? {} : { noOutput: true }),
      };
    }
    case 'cache': {
      // an empty target means the working directory, as in BuildKit
      const target = resolveTarget(m.target ?? '');
      if (target === '/') fail('invalid mount target "/"');
      let id = m.id || target;
      const ns = conv.opts.buildArgs.BUILDKIT_CACHE_MOUNT_NS;
      if (ns) id = `${ns}/${id}`;
      let from: State | undefined;
      let source: string | undefined;
      if (m.uid !== undefined || m.gid !== undefined || m.mode !== undefined) {
        from = scratch().file(mkdir('/cache', m.mode ?? 0o755, { chown: { user: m.uid ?? 0, group: m.gid ?? 0 } }), {
          customName: '[internal] settings cache mount permissions',
        });
        source = '/cache';
      } else if (m.from) {
        from = await stateFrom(conv, d, m.from);
        source = m.source ? posix.join('/', m.source) : undefined;
      }
      return { type: 'cache', target, id, sharing: m.sharing ?? 'shared', ...(from ? { from } : {}), ...(source ? { source } : {}) };
    }
    case 'tmpfs': {
      // an empty target means the working directory, as in BuildKit
      const target = resolveTarget(m.target ?? '');
      if (target === '/') fail('invalid mount target "/"');
      return { type: 'tmpfs', target, ...(m.size ? { size: m.size } : {}) };
    }
    case 'secret': {
      const id = m.id || m.source || (m.target ? posix.basename(m.target) : '');
      if (!id) fail('secret mount needs an id (add id=name)');
      const target = m.target ? resolveTarget(m.target) : m.env === undefined ? `/run/secrets/${id}` : undefined;
      return {
        type: 'secret',
        id,
        ...(target !== undefined ? { target } : {}),
        ...(m.env !== undefined ? { env: m.env } : {}),
        ...(m.uid !== undefined ? { uid: m.uid } : {}),
        ...(m.gid !== undefined ? { gid: m.gid } : {}),
        ...(m.mode !== undefined ? { mode: m.mode } : {}),
        required: m.required,
      };
    }
    case 'ssh':
      return {
        type: 'ssh',
        id: m.id || 'default',
        ...(m.target ? { target: resolveTarget(m.target) } : {}),
        ...(m.uid !== undefined ? { uid: m.uid } : {}),
        ...(m.gid !== undefined ? { gid: m.gid } : {}),
        ...(m.mode !== undefined ? { mode: m.mode } : {}),
        required: m.required,
      };
  }
}

export async function dispatchRun(conv: Converter, d: DispatchState, cmd: RunCommand, label: (text: string) => string): Promise<void> {
  const expand = expander(conv, d);
  if (cmd.devices.length > 0) {
    conv.opts.warn?.(`RUN --device is not supported yet and was ignored (${cmd.devices.join(', ')})`, {
      file: conv.opts.filename,
      line: cmd.node.startLine,
    });
  }
  const mounts: LlbMount[] = [];
  for (const raw of cmd.mounts) mounts.push(await lowerMount(conv, d, parseMount(raw, expand)));

  let args: string[];
  if (cmd.files.length > 0) {
    if (cmd.cmdLine.length !== 1 || !cmd.prependShell) fail('parsing produced an invalid run command');
    const line = cmd.cmdLine[0] as string;
    const only = parseHeredoc(line);
    const first = cmd.files[0];
    if (only && cmd.files.length === 1 && first) {
      const data = first.chomp ? chompHeredocContent(first.data) : first.data;
      if (data.startsWith('#!')) {
        // a script with its own interpreter: write it to a file and execute it
        const script = scratch().file(mkfile(first.name, 0o755, data), { customName: '[internal] preparing inline document' });
        mounts.push({ type: 'bind', target: '/dev/pipes', from: script, source: '/', readonly: true });
        args = [posix.join('/dev/pipes', first.name)];
      } else args = commandLineArgs(d, [data], true);
    } else {
      // the shell reads the heredocs itself
      let script = line;
      for (const f of cmd.files) script += '\n' + (f.chomp ? chompHeredocContent(f.data) : f.data) + f.name;
      args = commandLineArgs(d, [script], true);
    }
  } else args = commandLineArgs(d, cmd.cmdLine, cmd.prependShell);

  const text = displayText(cmd.node.original);
  const exec = d.state.run(args, {
    env: runArgEnv(d),
    cwd: d.workdir,
    ...(d.image.config.User ? { user: d.image.config.User } : {}),
    mounts,
    ...(cmd.network === 'none' ? { network: 'none' as const } : cmd.network === 'host' ? { network: 'host' as const } : {}),
    ...(cmd.security === 'insecure' ? { security: 'insecure' as const } : {}),
    ...(proxyEnvFrom(conv.opts.buildArgs) ? { proxyEnv: proxyEnvFrom(conv.opts.buildArgs) } : {}),
    customName: label(text),
  });
  d.state = exec.root();
  const argPrefix = d.args.size ? `|${d.args.size} ${[...d.args].map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
  addHistory(d, `RUN ${argPrefix}${args.join(' ')}`, true);
}
