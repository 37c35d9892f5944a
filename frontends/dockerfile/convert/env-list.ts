// An ordered `KEY=value` list with replace-in-place semantics, as image configs keep env.

export type EnvList = readonly (readonly [string, string])[];

export function envSet(list: EnvList, key: string, value: string): EnvList {
  const i = list.findIndex(([k]) => k === key);
  if (i < 0) return [...list, [key, value]];
  const out = [...list];
  out[i] = [key, value];
  return out;
}

export function envGet(list: EnvList, key: string): string | undefined {
  return list.find(([k]) => k === key)?.[1];
}

export function envFromStrings(env: readonly string[] | undefined): EnvList {
  let out: EnvList = [];
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    out = eq < 0 ? envSet(out, e, '') : envSet(out, e.slice(0, eq), e.slice(eq + 1));
  }
  return out;
}

export function envToStrings(list: EnvList): string[] {
  return list.map(([k, v]) => `${k}=${v}`);
}
