// `tsbuild build [OPTIONS] CONTEXT`: docker buildx build's flags and meaning.
import type { Command } from '../command.ts';
import { buildUsage, parseBuildArgs, runBuildCommand } from '../build/index.ts';

export const command: Command = {
  async run(argv, global) {
    const opts = parseBuildArgs(argv);
    if (opts.help) {
      process.stdout.write(buildUsage);
      return 0;
    }
    return runBuildCommand(opts, 'build', global.signal);
  },
};
