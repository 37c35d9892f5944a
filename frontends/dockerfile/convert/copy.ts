// COPY and ADD: one FileOp holding a copy per source (context, stage, image, URL, git repo or
// heredoc). With --link the copy goes onto scratch and is merged over the stage, so its layer
// does not depend on what came before.
import { posix } from 'node:path';
import { copy, git, http, merge, mkfile, scratch, type CopyOptions, type FileAction, type State } from '../../../llb/index.ts';
import { InstructionError } from '../errors.ts';
import type { AddCommand, CopyCommand } from '../instructions/index.ts';
import { processWord } from '../shell/index.ts';
import type { Converter } from './convert.ts';
import { addHistory, displayText, expander, stageLookup } from './dispatch.ts';
import type { DispatchState } from './dispatch-state.ts';
import { hasWildcard, isGitURL, isHTTPURL, resolveDest, splitGitURL, urlFilename } from './paths.ts';
import { stateFrom } from './run.ts';
import { parseChmod, parseChown, type ChownSpec } from './validate.ts';

const fail = (m: string): never => {
  throw new InstructionError(m);
};

function llbChown(c: ChownSpec | undefined): CopyOptions['chown'] {
  if (!c) return undefined;
  const part = (p: ChownSpec['user']) => ('id' in p ? p.id : p.name);
  return c.group ? { user: part(c.user), group: part(c.group) } : { user: part(c.user) };
}

/** `--parents`: `a/./b/c` copies `b/c` from `a`, keeping `b/`; without a pivot the whole path is kept. */
function parentsSource(src: string): { base: string; include: string } {
  const pivot = src.indexOf('/./');
  if (pivot >= 0) return { base: src.slice(0, pivot) || '/', include: posix.normalize(src.slice(pivot + 3)) };
  if (src.startsWith('./')) return { base: '/', include: posix.normalize(src.slice(2)) };
  return { base: '/', include: posix.normalize(src).replace(/^\/+/, '') };
}

export async function dispatchCopy(conv: Converter, d: DispatchState, cmd: CopyCommand | AddCommand, label: (text: string) => string): Promise<void> {
  const isAdd = cmd.kind === 'add';
  const what = isAdd ? 'ADD' : 'COPY';
  const expand = expander(conv, d);
  const sources = cmd.sources.map(expand);
  const dest = resolveDest(expand(cmd.dest), d.workdir);
  const chown = llbChown(parseChown(expand(cmd.chown)));
  const chmod = parseChmod(expand(cmd.chmod));
  const excludes = cmd.excludes.map(expand);
  const total = sources.length + cmd.contents.length;
  if (total > 1 && !dest.endsWith('/')) {
    fail(`When using ${what} with more than one source file, the destination must be a directory and end with a /`);
  }

  const checksum = isAdd ? expand(cmd.checksum) : '';
  if (checksum) {
    if (total !== 1) fail("checksum can't be specified for multiple sources");
    if (!isHTTPURL(sources[0] ?? '') && !isGitURL(sources[0] ?? '')) fail("checksum can't be specified for non-HTTP(S) or Git sources");
  }

  let srcState: State | undefined;
  let fromStage = false;
  if (cmd.kind === 'copy' && cmd.from) {
    const from = expand(cmd.from);
    srcState = await stateFrom(conv, d, from);
    fromStage = true;
  }

  const base: CopyOptions = {
    ...(chown ? { chown } : {}),
    ...(chmod ? { chmod: chmod.mode ?? chmod.modeStr } : {}),
    createDestPath: true,
    ...(excludes.length ? { exclude: excludes } : {}),
  };
  let action: FileAction | undefined;
  const add = (from: State, src: string, to: string, opts: CopyOptions) => {
    action = action ? action.copy(from, src, to, opts) : copy(from, src, to, opts);
  };

  for (const src of sources) {
    if (!fromStage && (isHTTPURL(src) || isGitURL(src)) && isGitURL(src)) {
      if (!isAdd) fail(`source can't be a git ref for COPY: ${src} (use ADD)`);
      const { remote, ref, subdir } = splitGitURL(src);
      const keep = cmd.kind === 'add' ? (cmd.keepGitDir ?? conv.opts.buildArgs.BUILDKIT_CONTEXT_KEEP_GIT_DIR === '1') : false;
      const repo = git(remote, ref, { ...(keep ? { keepGitDir: true } : {}), ...(checksum ? { checksum } : {}) });
      add(repo, subdir ? posix.join('/', subdir) : '/', dest, { ...base, copyDirContents: true, allowEmptyWildcard: true });
      continue;
    }
    if (!fromStage && isHTTPURL(src)) {
      if (!isAdd) fail(`source can't be a URL for COPY: ${src} (use ADD, or RUN curl)`);
      const filename = urlFilename(src);
      const st = http(src, { filename, ...(checksum ? { checksum } : {}) });
      const unpack = cmd.kind === 'add' && cmd.unpack === true;
      add(st, filename, dest, { ...base, ...(unpack ? { attemptUnpack: true } : {}) });
      continue;
    }
    const from = srcState ?? conv.context();
    const local: CopyOptions = {
      ...base,
      followSymlinks: true,
      copyDirContents: true,
      allowWildcard: true,
      allowEmptyWildcard: true,
      ...(isAdd && !fromStage && cmd.unpack !== false ? { attemptUnpack: true } : {}),
    };
    if (cmd.kind === 'copy' && cmd.parents) {
      const { base: b, include } = parentsSource(src);
      add(from, b, dest, { ...local, include: [include], ...(hasWildcard(include) ? {} : { requiredPaths: [include] }) });
    } else add(from, src, dest, local);
  }

  for (const c of cmd.contents) {
    const data = c.expand ? processWord(c.data, stageLookup(d), { escapeToken: conv.ast.escapeToken, skipProcessQuotes: true }).result : c.data;
    const file = scratch().file(mkfile(c.name, 0o644, data), { customName: '[internal] preparing inline document' });
    add(file, c.name, dest, { ...base });
  }

  if (!action) return;
  const text = displayText(cmd.node.original);
  const link = cmd.link && conv.opts.mergeOp !== false;
  if (cmd.link && !link) {
    conv.opts.warn?.(`${cmd.kind.toUpperCase()} --link needs MergeOp, which the builder lacks: copied in place, without --link's layer reuse`, {
      file: conv.opts.filename,
      line: cmd.node.startLine,
    });
  }
  if (link) {
    const layer = scratch()
      .platform(d.platform)
      .file(action, { customName: label(text) });
    d.state = merge([d.state, layer], { customName: label(`LINK ${text}`) });
  } else {
    d.state = d.state.file(action, { customName: label(text) });
  }
  addHistory(d, `${what} ${[...sources, ...cmd.contents.map((c) => c.name)].join(' ')} ${dest}`, true);
}
