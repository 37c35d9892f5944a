/** Whether the prebuilt CLI in dist/cli/ still matches the sources under `root` (a URL ending in `/`). */
export function prebuiltIsCurrent(root: URL): boolean;
