// Imported, not read from disk, so the prebuilt CLI in dist/ carries it too.
import pkg from '#package.json' with { type: 'json' };

export function version(): string {
  return pkg.version;
}
