// The build benchmark's cases (Dockerfiles in test/bench/cases/, contexts from gen-contexts.sh),
// their modes, and the targets of docs/design.md's performance table.

/**
 * cold: nothing cached but the base image; nochange: rebuild with nothing changed; touch: one
 * context file's mtime bumped; edit: one context file's content changed; nocache: `--no-cache`
 * with the base image at hand; watch: `build --watch`, seconds from the edit to the new output.
 */
export type Mode = 'cold' | 'nochange' | 'touch' | 'edit' | 'nocache' | 'watch';

export interface Case {
  readonly name: string;
  /** The context folder under the bench data folder. */
  readonly ctx: string;
  readonly modes: readonly Mode[];
  /** The file that touch/edit/watch change, relative to the context. */
  readonly editFile?: string;
  /** The base images the Dockerfile names (`FROM busybox`); BuildKit's store has them as `NAME:local`. */
  readonly bases: readonly ('busybox' | 'debian')[];
  /** RUN's network, the same for both builders. */
  readonly network: 'none' | 'host';
}

export const cases: readonly Case[] = [
  { name: 'a-runs', ctx: 'ctx-a-runs', modes: ['cold', 'nochange'], bases: ['busybox'], network: 'none' },
  { name: 'b-multistage', ctx: 'ctx-b-multistage', modes: ['cold', 'nochange'], bases: ['busybox'], network: 'none' },
  { name: 'c-bigctx', ctx: 'ctx-big', modes: ['cold', 'nochange', 'touch', 'edit'], editFile: 'small/d000/f000.txt', bases: ['busybox'], network: 'none' },
  { name: 'e-app', ctx: 'ctx-app', modes: ['cold', 'nochange', 'edit', 'watch'], editFile: 'src/m00/file000.js', bases: ['busybox'], network: 'none' },
  { name: 'ten-runs', ctx: 'ctx-ten-runs', modes: ['nocache'], bases: ['busybox'], network: 'none' },
  { name: 'realistic', ctx: 'ctx-realistic', modes: ['cold', 'nochange', 'edit'], editFile: 'src/lib/m00/unit000.src', bases: ['debian'], network: 'host' },
];

export interface Target {
  /** tsbuild's median over BuildKit's median, at most. */
  readonly ratio?: number;
  /** Seconds, at most (modes BuildKit does not have). */
  readonly seconds?: number;
}

export const targets: Readonly<Record<string, Target>> = {
  'a-runs cold': { ratio: 0.9 },
  'a-runs nochange': { ratio: 0.5 },
  'b-multistage cold': { ratio: 0.8 },
  'b-multistage nochange': { ratio: 0.5 },
  'c-bigctx cold': { ratio: 0.2 },
  'c-bigctx nochange': { ratio: 0.3 },
  'c-bigctx touch': { ratio: 0.3 },
  'c-bigctx edit': { ratio: 0.2 },
  'e-app cold': { ratio: 0.9 },
  'e-app nochange': { ratio: 0.5 },
  'e-app edit': { ratio: 0.6 },
  'e-app watch': { seconds: 0.5 },
  'ten-runs nocache': { ratio: 0.8 },
  'realistic cold': { ratio: 0.9 },
  'realistic nochange': { ratio: 0.5 },
  'realistic edit': { ratio: 0.6 },
};

/** BuildKit's seconds in docs/design.md's table: a record of one day, used only with --recorded. */
export const designFigures: Readonly<Record<string, number>> = {
  'a-runs cold': 2.4,
  'a-runs nochange': 0.19,
  'b-multistage cold': 4.3,
  'b-multistage nochange': 0.16,
  'c-bigctx cold': 27,
  'c-bigctx nochange': 1.0,
  'c-bigctx touch': 1.0,
  'c-bigctx edit': 7.2,
  'e-app cold': 3.9,
  'e-app nochange': 0.27,
  'e-app edit': 1.1,
};
