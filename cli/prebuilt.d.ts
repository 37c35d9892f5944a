/** The prebuilt CLI's entry module when it matches the sources under `root` (a URL ending in `/`). */
export function prebuiltEntry(root: URL): string | undefined;
