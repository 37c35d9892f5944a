// One instruction applied to a stage: metadata instructions edit the image config (and the
// State's env/dir/user), RUN/COPY/ADD/WORKDIR add ops. Each adds a history entry.
import { mkdir } from '../../../llb/index.ts';
import type { Command } from '../instructions/index.ts';
import { processWord, processWords, type EnvLookup } from '../shell/index.ts';
import { InstructionError } from '../errors.ts';
import type { Converter } from './convert.ts';
import { dispatchCopy } from './copy.ts';
import type { DispatchState } from './dispatch-state.ts';
import { envGet, envSet, envToStrings } from './env-list.ts';
import { resolveWorkdir } from './paths.ts';
import { dispatchRun } from './run.ts';
import { checkSignal, parsePorts } from './validate.ts';
import { proxyArgNames } from './build-args.ts';

export const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

/** Variables visible to expansion in a stage: ENV wins over ARG. */
export function stageLookup(d: DispatchState): EnvLookup {
  return { get: (k) => envGet(d.env, k) ?? d.args.get(k) };
}

export function expander(conv: Converter, d: DispatchState): (word: string) => string {
  const env = stageLookup(d);
  return (word) => processWord(word, env, { escapeToken: conv.ast.escapeToken }).result;
}

export function addHistory(d: DispatchState, createdBy: string, layer: boolean): void {
  d.image.history.push({
    created_by: layer ? `${createdBy} # buildkit` : createdBy,
    comment: HISTORY_COMMENT,
    ...(layer ? {} : { empty_layer: true }),
  });
}

/** `copy src dst` → `COPY src dst`, the way instructions are displayed. */
export function displayText(original: string): string {
  const t = original.trim();
  const m = /^(\S+)(.*)$/s.exec(t);
  return m ? (m[1] as string).toUpperCase() + m[2] : t;
}

function shellOf(d: DispatchState): string[] {
  return d.image.config.Shell?.length ? [...d.image.config.Shell] : ['/bin/sh', '-c'];
}

export function commandLineArgs(d: DispatchState, cmdLine: readonly string[], prependShell: boolean): string[] {
  return prependShell ? [...shellOf(d), cmdLine.join(' ')] : [...cmdLine];
}

export async function dispatchCommand(conv: Converter, d: DispatchState, cmd: Command, name: (text: string) => string): Promise<void> {
  const expand = expander(conv, d);
  const cfg = d.image.config;
  const label = (text: string) => {
    const n = name(text);
    conv.locations.set(n, { start: cmd.node.startLine, end: cmd.node.endLine });
    return n;
  };
  switch (cmd.kind) {
    case 'env': {
      // every value is expanded with the environment from before the instruction
      const pairs = cmd.env.map((kv) => [expand(kv.key), expand(kv.value)] as const);
      const shown: string[] = [];
      for (const [k, v] of pairs) {
        d.env = envSet(d.env, k, v);
        d.state = d.state.env(k, v);
        shown.push(`${k}=${v}`);
      }
      cfg.Env = envToStrings(d.env);
      addHistory(d, `ENV ${shown.join(' ')}`, false);
      return;
    }
    case 'label': {
      const labels = { ...cfg.Labels };
      const shown: string[] = [];
      for (const kv of cmd.labels) {
        const k = expand(kv.key);
        const v = expand(kv.value);
        labels[k] = v;
        shown.push(`${k}=${v}`);
      }
      cfg.Labels = labels;
      addHistory(d, `LABEL ${shown.join(' ')}`, false);
      return;
    }
    case 'maintainer':
      d.image.author = cmd.maintainer;
      addHistory(d, `MAINTAINER ${cmd.maintainer}`, false);
      return;
    case 'workdir': {
      const wd = resolveWorkdir(expand(cmd.path), d.workdir);
      d.workdir = wd;
      d.state = d.state.dir(wd);
      cfg.WorkingDir = wd;
      if (wd !== '/') {
        const user = cfg.User;
        d.state = d.state.file(mkdir(wd, 0o755, { makeParents: true, ...(user ? { chown: user } : {}) }), {
          customName: label(`WORKDIR ${wd}`),
        });
        addHistory(d, `WORKDIR ${wd}`, true);
      } else addHistory(d, `WORKDIR ${wd}`, false);
      return;
    }
    case 'user': {
      const user = expand(cmd.user);
      cfg.User = user;
      d.state = d.state.user(user);
      addHistory(d, `USER ${user}`, false);
      return;
    }
    case 'shell':
      cfg.Shell = [...cmd.shell];
      addHistory(d, `SHELL ${JSON.stringify(cmd.shell)}`, false);
      return;
    case 'stopsignal': {
      const sig = expand(cmd.signal);
      checkSignal(sig);
      cfg.StopSignal = sig;
      addHistory(d, `STOPSIGNAL ${sig}`, false);
      return;
    }
    case 'expose': {
      const ports = { ...cfg.ExposedPorts };
      const env = stageLookup(d);
      const list: string[] = [];
      for (const p of cmd.ports) {
        for (const w of processWords(p, env, { escapeToken: conv.ast.escapeToken })) {
          for (const port of parsePorts(w)) {
            ports[port] = {};
            list.push(port);
          }
        }
      }
      cfg.ExposedPorts = ports;
      addHistory(d, `EXPOSE ${list.join(' ')}`, false);
      return;
    }
    case 'volume': {
      const volumes = { ...cfg.Volumes };
      for (const v of cmd.volumes) {
        const path = expand(v);
        if (path.trim() === '') throw new InstructionError('VOLUME specified can not be an empty string');
        volumes[path] = {};
      }
      cfg.Volumes = volumes;
      addHistory(d, `VOLUME ${JSON.stringify(Object.keys(volumes))}`, false);
      return;
    }
    case 'arg': {
      const shown: string[] = [];
      for (const a of cmd.args) {
        const override = conv.opts.buildArgs[a.key];
        let value: string | undefined;
        if (override !== undefined) value = override;
        else if (a.value !== undefined) value = expand(a.value);
        else value = conv.metaArgs.get(a.key);
        if (value !== undefined) d.args.set(a.key, value);
        else d.args.delete(a.key);
        shown.push(a.value !== undefined ? `${a.key}=${a.value}` : a.key);
      }
      addHistory(d, `ARG ${shown.join(' ')}`, false);
      return;
    }
    case 'onbuild':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), cmd.expression];
      addHistory(d, `ONBUILD ${cmd.expression}`, false);
      return;
    case 'healthcheck': {
      const h = cmd.health;
      cfg.Healthcheck = {
        Test: [...h.test],
        ...(h.interval !== undefined ? { Interval: h.interval } : {}),
        ...(h.timeout !== undefined ? { Timeout: h.timeout } : {}),
        ...(h.startPeriod !== undefined ? { StartPeriod: h.startPeriod } : {}),
        ...(h.startInterval !== undefined ? { StartInterval: h.startInterval } : {}),
        ...(h.retries !== undefined ? { Retries: h.retries } : {}),
      };
      addHistory(d, `HEALTHCHECK ${displayText(cmd.node.original).replace(/^HEALTHCHECK\s*/, '')}`, false);
      return;
    }
    case 'cmd': {
      cfg.Cmd = commandLineArgs(d, cmd.cmdLine, cmd.prependShell);
      d.cmdSet = true;
      addHistory(d, `CMD ${JSON.stringify(cfg.Cmd)}`, false);
      return;
    }
    case 'entrypoint': {
      cfg.Entrypoint = cmd.cmdLine.length === 0 && !cmd.prependShell ? null : commandLineArgs(d, cmd.cmdLine, cmd.prependShell);
      if (!d.cmdSet) delete cfg.Cmd;
      addHistory(d, `ENTRYPOINT ${JSON.stringify(cfg.Entrypoint)}`, false);
      return;
    }
    case 'run':
      await dispatchRun(conv, d, cmd, label);
      return;
    case 'copy':
    case 'add':
      await dispatchCopy(conv, d, cmd, label);
      return;
  }
}

/** ARG values a RUN sees as environment variables (not those ENV already sets, not proxies). */
export function runArgEnv(d: DispatchState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of d.args) {
    if (proxyArgNames.has(k) || envGet(d.env, k) !== undefined) continue;
    out[k] = v;
  }
  return out;
}
