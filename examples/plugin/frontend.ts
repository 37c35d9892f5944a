// A third-party frontend: builds described as JSON (`*.build.json`). It is a module exporting a
// `{ name, detect, build }` object; tsbuild loads it with `--frontend ./frontend.ts`, or from a
// Dockerfile-style first line `# syntax=./frontend.ts` (see hello.build). It only uses the public
// 'tsbuild' API.
//
//   { "from": "busybox",
//     "steps": [ { "run": "echo hi > /hello" }, { "copy": "files/", "to": "/srv/" }, { "env": { "MODE": "demo" } } ],
//     "cmd": ["cat", "/hello"] }
import { copy, image, local, marshal, scratch, type State } from 'tsbuild';

type Step = { run: string } | { copy: string; to: string } | { env: Record<string, string> } | { workdir: string };

interface JsonBuild {
  from?: string;
  steps?: Step[];
  cmd?: string[];
  labels?: Record<string, string>;
}

function fail(file: string, message: string): never {
  throw new Error(`${file}: ${message}`);
}

function parse(file: string, text: string): JsonBuild {
  // Leading `#` lines are directives (`# syntax=./frontend.ts` picks this frontend), not JSON;
  // they are blanked rather than removed so JSON errors keep their line numbers.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && /^\s*(#.*)?$/.test(lines[i]!); i++) lines[i] = '';
  let value: unknown;
  try {
    value = JSON.parse(lines.join('\n'));
  } catch (err) {
    fail(file, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, 'expected a JSON object with "from" and "steps"');
  return value;
}

function apply(file: string, state: State, context: State, step: Step, index: number): State {
  if ('run' in step) return state.run(step.run, { customName: `[json ${index + 1}] RUN ${step.run}` }).root();
  if ('copy' in step) {
    return state.file(copy(context, step.copy, step.to, { copyDirContents: true, createDestPath: true, allowWildcard: true }), {
      customName: `[json ${index + 1}] COPY ${step.copy} ${step.to}`,
    });
  }
  if ('env' in step) return state.env(step.env);
  if ('workdir' in step) return state.dir(step.workdir);
  return fail(file, `steps[${index}]: unknown step ${JSON.stringify(step)}; use run, copy, env or workdir`);
}

const frontend = {
  name: 'json-build',
  detect(input: { filename: string }) {
    return input.filename.endsWith('.build.json');
  },
  async build(_ctx: unknown, input: { filename: string; source: Uint8Array }) {
    const spec = parse(input.filename, new TextDecoder().decode(input.source));
    const context = local('context');
    let state = spec.from ? image(spec.from) : scratch();
    (spec.steps ?? []).forEach((step, i) => {
      state = apply(input.filename, state, context, step, i);
    });
    return {
      state,
      definition: marshal(state),
      image: { config: { Cmd: spec.cmd ?? null, Env: state.getEnv(), Labels: spec.labels ?? {}, WorkingDir: state.getDir() ?? '/' } },
    };
  },
};

export default frontend;
