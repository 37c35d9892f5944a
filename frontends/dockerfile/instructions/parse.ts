// Parse tree → typed commands grouped into stages. Errors name the file and the instruction's
// line, worded as BuildKit words them.
import { DockerfileError, InstructionError, errorMessage } from '../errors.ts';
import { chompHeredocContent, parseHeredoc } from '../parser/index.ts';
import type { DockerfileAst, Instruction } from '../parser/index.ts';
import { Flags } from './bflags.ts';
import type {
  AddCommand,
  ArgDef,
  Command,
  CommandLine,
  CopyCommand,
  HealthConfigValue,
  KeyValue,
  ParsedDockerfile,
  RunCommand,
  SourcesAndDest,
  Stage,
} from './commands.ts';
import { parseDuration } from './duration.ts';
import { withSuggestion } from './suggest.ts';

export const instructionNames = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
] as const;

// A declaration, not an arrow: only then does TypeScript treat a call as ending the path.
function fail(message: string): never {
  throw new InstructionError(message);
}
const atLeastOne = (cmd: string) => fail(`${cmd} requires at least one argument`);
const exactlyOne = (cmd: string) => fail(`${cmd} requires exactly one argument`);
const noDest = (cmd: string) => fail(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);

const networkModes = ['default', 'none', 'host'] as const;
const securityModes = ['sandbox', 'insecure'] as const;
function oneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** The argument list of a node, ONBUILD's wrapped instruction flattened (keyword then args). */
function nodeArgs(node: Instruction): string[] {
  if (node.sub) return [node.sub.keyword, ...nodeArgs(node.sub)];
  return [...node.args];
}

function kvps(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) atLeastOne(cmd);
  if (args.length % 3 !== 0) fail(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const key = args[i] as string;
    if (key === '') fail(`${cmd} names can not be blank`);
    out.push({ key, value: args[i + 1] as string, noDelim: args[i + 2] === '' });
  }
  return out;
}

function commandLine(node: Instruction, args: string[]): CommandLine {
  return {
    cmdLine: args,
    prependShell: !node.json,
    files: node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp, expand: h.expand })),
  };
}

function sourcesAndDest(node: Instruction, args: string[], cmd: string): SourcesAndDest {
  const dest = args[args.length - 1] as string;
  if (parseHeredoc(dest)) fail(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const contents: SourcesAndDest['contents'][number][] = [];
  for (const src of args.slice(0, -1)) {
    const h = parseHeredoc(src);
    if (h) {
      let data = byName.get(h.name)?.content ?? '';
      if (h.chomp) data = chompHeredocContent(data);
      contents.push({ name: h.name, data, expand: h.expand, chomp: h.chomp });
    } else sources.push(src);
  }
  return { sources, contents, dest };
}

function interval(flag: { value: string; name: string }): number | undefined {
  if (flag.value === '') return undefined;
  const d = parseDuration(flag.value);
  if (d === 0) return undefined;
  if (d < 1e6) fail(`Interval "${flag.name}" cannot be less than 1ms`);
  return d;
}

const stageName = /^[a-z][a-z0-9-_.]*$/;

function parseFrom(node: Instruction, args: string[]): Stage {
  let name = '';
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    name = (args[2] as string).toLowerCase();
    if (!stageName.test(name)) {
      fail(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) fail('FROM requires either one or three arguments');
  const flags = new Flags(node.flags);
  const platform = flags.string('platform');
  flags.parse();
  return { node, baseName: args[0] as string, name, platform: platform.value, commands: [] };
}

/** One instruction → a command, or a Stage for FROM. Throws InstructionError. */
function parseCommand(node: Instruction): Command | Stage {
  const args = nodeArgs(node);
  const flags = new Flags(node.flags);
  const kw = node.keyword.toLowerCase();
  switch (kw) {
    case 'from':
      return parseFrom(node, args);
    case 'env':
      flags.parse();
      return { kind: 'env', node, env: kvps(args, 'ENV') };
    case 'label':
      flags.parse();
      return { kind: 'label', node, labels: kvps(args, 'LABEL') };
    case 'maintainer':
      if (args.length !== 1) exactlyOne('MAINTAINER');
      flags.parse();
      return { kind: 'maintainer', node, maintainer: args[0] as string };
    case 'workdir':
      if (args.length !== 1) exactlyOne('WORKDIR');
      flags.parse();
      return { kind: 'workdir', node, path: args[0] as string };
    case 'user':
      if (args.length !== 1) exactlyOne('USER');
      flags.parse();
      return { kind: 'user', node, user: args[0] as string };
    case 'stopsignal':
      if (args.length !== 1) exactlyOne('STOPSIGNAL');
      flags.parse();
      return { kind: 'stopsignal', node, signal: args[0] as string };
    case 'expose':
      if (args.length === 0) atLeastOne('EXPOSE');
      flags.parse();
      return { kind: 'expose', node, ports: [...args].sort() };
    case 'volume': {
      if (args.length === 0) atLeastOne('VOLUME');
      flags.parse();
      const volumes = args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) fail('VOLUME specified can not be an empty string');
      return { kind: 'volume', node, volumes };
    }
    case 'shell':
      flags.parse();
      if (args.length === 0) atLeastOne('SHELL');
      if (!node.json) fail(`SHELL requires the arguments to be in JSON form`);
      return { kind: 'shell', node, shell: args };
    case 'arg':
      return parseArg(node, args, flags);
    case 'cmd':
      flags.parse();
      return { kind: 'cmd', node, ...commandLine(node, args) };
    case 'entrypoint':
      flags.parse();
      return { kind: 'entrypoint', node, ...commandLine(node, args) };
    case 'run':
      return parseRun(node, args, flags);
    case 'copy':
      return parseCopy(node, args, flags);
    case 'add':
      return parseAdd(node, args, flags);
    case 'onbuild':
      return parseOnbuild(node, args, flags);
    case 'healthcheck':
      return parseHealthcheck(node, args, flags);
    default:
      return fail(withSuggestion(`unknown instruction: ${node.keyword}`, node.keyword, instructionNames, false));
  }
}

function parseArg(node: Instruction, args: string[], flags: Flags): Command {
  if (args.length === 0) atLeastOne('ARG');
  flags.parse();
  const defs: ArgDef[] = args.map((a) => {
    const eq = a.indexOf('=');
    if (eq < 0) return { key: a };
    if (eq === 0) fail('ARG names can not be blank');
    return { key: a.slice(0, eq), value: a.slice(eq + 1) };
  });
  return { kind: 'arg', node, args: defs };
}

function parseRun(node: Instruction, args: string[], flags: Flags): RunCommand {
  const mount = flags.strings('mount');
  const network = flags.string('network', 'default');
  const security = flags.string('security', 'sandbox');
  const device = flags.strings('device');
  flags.parse();
  if (!oneOf(network.value, networkModes)) fail(`network mode ${JSON.stringify(network.value)} not supported (use default, none or host)`);
  if (!oneOf(security.value, securityModes)) fail(`security mode ${JSON.stringify(security.value)} not supported (use sandbox or insecure)`);
  if (args.length === 0 && node.heredocs.length === 0) atLeastOne('RUN');
  const run: RunCommand = {
    kind: 'run',
    node,
    ...commandLine(node, args),
    mounts: mount.values,
    network: network.used ? network.value : undefined,
    security: security.used ? security.value : undefined,
    devices: device.values,
  };
  return run;
}

function parseCopy(node: Instruction, args: string[], flags: Flags): CopyCommand {
  if (args.length < 2) noDest('COPY');
  const chown = flags.string('chown');
  const from = flags.string('from');
  const chmod = flags.string('chmod');
  const link = flags.bool('link');
  const excludes = flags.strings('exclude');
  const parents = flags.bool('parents');
  flags.parse();
  const copy: CopyCommand = {
    kind: 'copy',
    node,
    ...sourcesAndDest(node, args, 'COPY'),
    from: from.value,
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === 'true',
    parents: parents.value === 'true',
    excludes: excludes.values,
  };
  return copy;
}

function parseAdd(node: Instruction, args: string[], flags: Flags): AddCommand {
  if (args.length < 2) noDest('ADD');
  const chown = flags.string('chown');
  const chmod = flags.string('chmod');
  const link = flags.bool('link');
  const keepGitDir = flags.bool('keep-git-dir');
  const checksum = flags.string('checksum');
  const unpack = flags.bool('unpack');
  const excludes = flags.strings('exclude');
  flags.parse();
  const add: AddCommand = {
    kind: 'add',
    node,
    ...sourcesAndDest(node, args, 'ADD'),
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === 'true',
    keepGitDir: keepGitDir.used ? keepGitDir.value === 'true' : undefined,
    checksum: checksum.value,
    unpack: unpack.used ? unpack.value === 'true' : undefined,
    excludes: excludes.values,
  };
  return add;
}

function parseOnbuild(node: Instruction, args: string[], flags: Flags): Command {
  if (args.length === 0) atLeastOne('ONBUILD');
  flags.parse();
  const trigger = (args[0] as string).trim().toUpperCase();
  if (trigger === 'ONBUILD') fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  const docs = node.sub?.heredocs ?? [];
  for (const h of docs) expression += '\n' + h.content + h.name;
  return { kind: 'onbuild', node, expression };
}

function parseHealthcheck(node: Instruction, args: string[], flags: Flags): Command {
  if (args.length === 0) atLeastOne('HEALTHCHECK');
  let typ = (args[0] as string).toUpperCase();
  const rest = args.slice(1);
  if (typ === 'NONE') {
    if (rest.length !== 0) fail('HEALTHCHECK NONE takes no arguments');
    flags.parse();
    return { kind: 'healthcheck', node, health: { test: ['NONE'] } };
  }
  const fi = flags.string('interval');
  const ft = flags.string('timeout');
  const fsp = flags.string('start-period');
  const fsi = flags.string('start-interval');
  const fr = flags.string('retries');
  flags.parse();
  if (typ !== 'CMD') fail(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  if (rest.length === 0) fail('Missing command after HEALTHCHECK CMD');
  if (!node.json) typ = 'CMD-SHELL';
  let retries: number | undefined;
  if (fr.value !== '') {
    if (!/^[+-]?\d+$/.test(fr.value)) fail(`strconv.ParseInt: parsing ${JSON.stringify(fr.value)}: invalid syntax`);
    retries = Number.parseInt(fr.value, 10);
    if (retries < 0) fail(`--retries cannot be negative (${retries})`);
  }
  const health: HealthConfigValue = {
    test: [typ, ...rest],
    interval: interval({ value: fi.value, name: '--interval' }),
    timeout: interval({ value: ft.value, name: '--timeout' }),
    startPeriod: interval({ value: fsp.value, name: '--start-period' }),
    startInterval: interval({ value: fsi.value, name: '--start-interval' }),
    retries,
  };
  return { kind: 'healthcheck', node, health };
}

function located(filename: string, node: Instruction, err: unknown): unknown {
  if (err instanceof DockerfileError) return err;
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError) && !(err instanceof ReferenceError)) {
    return new DockerfileError(errorMessage(err), { file: filename, line: node.startLine, endLine: node.endLine });
  }
  return err;
}

export async function locateAsync<T>(filename: string, node: Instruction, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw located(filename, node, err);
  }
}

/** Wraps InstructionErrors (and shell syntax errors) with the file and the node's lines. */
export function locate<T>(filename: string, node: Instruction, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw located(filename, node, err);
  }
}

export function parseInstruction(node: Instruction, filename = 'Dockerfile'): Command | Stage {
  return locate(filename, node, () => parseCommand(node));
}

export function isStage(c: Command | Stage): c is Stage {
  return !('kind' in c);
}

/** The whole file → stages and the ARGs before the first FROM. */
export function parseInstructions(ast: DockerfileAst): ParsedDockerfile {
  const stages: Stage[] = [];
  const metaArgs: ParsedDockerfile['metaArgs'] = [];
  for (const node of ast.instructions) {
    const cmd = parseInstruction(node, ast.filename);
    if (isStage(cmd)) {
      stages.push(cmd);
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (cmd.kind === 'arg') {
        metaArgs.push(cmd);
        continue;
      }
      throw new DockerfileError(`no build stage in current context: ${node.keyword.toUpperCase()} must come after a FROM`, {
        file: ast.filename,
        line: node.startLine,
        endLine: node.endLine,
      });
    }
    stage.commands.push(cmd);
  }
  if (stages.length === 0) {
    throw new DockerfileError('the Dockerfile has no FROM instruction: a build needs at least one stage', {
      file: ast.filename,
      line: ast.instructions[ast.instructions.length - 1]?.startLine ?? 1,
    });
  }
  return { stages, metaArgs };
}
