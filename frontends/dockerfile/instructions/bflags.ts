// Typed `--flag` parsing for one instruction: each instruction declares its flags, then parses
// the words the parser extracted.
import { InstructionError } from '../errors.ts';
import { withSuggestion } from './suggest.ts';

type FlagType = 'bool' | 'string' | 'strings';

export interface FlagValue {
  readonly name: string;
  readonly type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

export class Flags {
  private readonly args: readonly string[];
  private readonly defs = new Map<string, FlagValue>();

  constructor(args: readonly string[]) {
    this.args = args;
  }

  private add(name: string, type: FlagType, def: string): FlagValue {
    const f: FlagValue = { name, type, value: def, values: [], used: false };
    this.defs.set(name, f);
    return f;
  }
  bool(name: string): FlagValue {
    return this.add(name, 'bool', 'false');
  }
  string(name: string, def = ''): FlagValue {
    return this.add(name, 'string', def);
  }
  strings(name: string): FlagValue {
    return this.add(name, 'strings', '');
  }

  /** Names of the flags that were given. */
  used(): string[] {
    return [...this.defs.values()].filter((f) => f.used).map((f) => f.name);
  }

  parse(): void {
    for (const a of this.args) {
      if (a === '--') return;
      if (!a.startsWith('--')) throw new InstructionError(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const hasValue = eq >= 0;
      const value = hasValue ? a.slice(eq + 1) : '';
      const name = flagName.slice(2);
      const flag = this.defs.get(name);
      if (!flag) {
        throw new InstructionError(withSuggestion(`unknown flag: ${flagName}`, name, [...this.defs.keys()], true));
      }
      if (flag.used && flag.type !== 'strings') throw new InstructionError(`duplicate flag specified: ${flagName}`);
      flag.used = true;
      switch (flag.type) {
        case 'bool':
          if (hasValue && value === '') throw new InstructionError(`missing a value on flag: ${flagName}`);
          if (value === '' || value.toLowerCase() === 'true') flag.value = 'true';
          else if (value.toLowerCase() === 'false') flag.value = 'false';
          else throw new InstructionError(`expecting boolean value for flag ${flagName}, not: ${value}`);
          break;
        case 'string':
          if (!hasValue) throw new InstructionError(`missing a value on flag: ${flagName}`);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new InstructionError(`missing a value on flag: ${flagName}`);
          flag.values.push(value);
          break;
      }
    }
  }
}
