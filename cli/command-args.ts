// What every command does first: parse its flags, turn a parse failure into a usage error that
// shows the command's help, and answer `--help`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

/**
 * Parses `config.args`; returns undefined after printing `usage` when `--help` was given (the
 * config must declare a boolean `help` option).
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> | undefined {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    return undefined;
  }
  return parsed;
}
