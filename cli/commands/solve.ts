// `tsbuild solve [FILE|DIR|-]`: solve a build.ts, a Dockerfile, a directory holding one, or an
// LLB definition. Same engine and flags as `build`; the context defaults to the file's directory.
import type { Command } from '../command.ts';
import { buildUsage, parseBuildArgs, runBuildCommand } from '../build/index.ts';

export const solveUsage = buildUsage
  .replace('Usage: tsbuild build [OPTIONS] CONTEXT', 'Usage: tsbuild solve [OPTIONS] [FILE|DIR|-]')
  .replace(
    "Build an image from a context directory, with docker buildx build's flags.",
    [
      'Solve a build.ts, a Dockerfile, a directory holding one, or an LLB definition (a file, or - for',
      'stdin, as written by `tsbuild debug build-llb`). The frontend is chosen by --frontend, else by a',
      "`# syntax=` first line, else by the file. The context is the file's directory unless --context is given.",
    ].join('\n'),
  )
  .replace('  -h, --help ', "      --context DIR            The build context (default: the build file's directory)\n  -h, --help ");

export const command: Command = {
  async run(argv, global) {
    const opts = parseBuildArgs(argv, process.env, 'solve');
    if (opts.help) {
      process.stdout.write(solveUsage);
      return 0;
    }
    return runBuildCommand(opts, 'solve', global.signal);
  },
};
