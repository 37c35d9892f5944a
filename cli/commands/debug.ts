// `tsbuild debug`: look inside builds. Subcommands live in debug-*.ts and load lazily.
import { UsageError } from '../errors.ts';
import type { Command, GlobalOptions } from '../command.ts';

const subcommands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  'build-llb': { summary: 'Marshal a build program to an LLB definition on stdout', load: () => import('./debug-build-llb.ts') },
  'dump-llb': { summary: 'Print an LLB definition (file or stdin) as JSON, one op per line', load: () => import('./debug-dump-llb.ts') },
  'dump-dockerfile': { summary: "Print a Dockerfile's parse tree in BuildKit's AST dump format", load: loadDumpDockerfile },
};

const dumpDockerfileUsage = `Usage: tsbuild debug dump-dockerfile FILE|-

Parse a Dockerfile (or stdin) and print its syntax tree in BuildKit's dump format, one
S-expression per instruction. A parse error exits 1 with the file and line.`;

async function loadDumpDockerfile(): Promise<{ command: Command }> {
  const { dumpDockerfile } = await import('./debug-dump-dockerfile.ts');
  return {
    command: {
      async run(argv) {
        if (argv.includes('-h') || argv.includes('--help')) {
          process.stdout.write(dumpDockerfileUsage + '\n');
          return 0;
        }
        return dumpDockerfile(argv);
      },
    },
  };
}

const usage = [
  'Usage: tsbuild debug SUBCOMMAND [OPTIONS]',
  '',
  'Subcommands:',
  ...Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(10)} ${s.summary}`),
  '',
  'Example: tsbuild debug build-llb build.ts | tsbuild debug dump-llb',
].join('\n');

export const command: Command = {
  async run(argv: string[], global: GlobalOptions): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      process.stdout.write(usage + '\n');
      return name === undefined ? 2 : 0;
    }
    const sub = subcommands[name];
    if (!sub) throw new UsageError(`unknown debug subcommand "${name}"\n\n${usage}`);
    const { command } = await sub.load();
    return command.run(rest, global);
  },
};
