// `tsbuild solve [FILE|DIR|-]`: solve a build.ts, a Dockerfile, a directory holding one, or an
// LLB definition. Same engine and flags as `build`; the context defaults to the file's directory.
import type { Command } from '../command.ts';
import { parseBuildArgs, runBuildCommand, solveUsage } from '../build/index.ts';

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
