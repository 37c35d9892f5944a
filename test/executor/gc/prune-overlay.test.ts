import { describe } from 'vitest';
import { requirePrereqs } from '../../support/require-root.ts';
import { pruneSuite } from './prune-suite.ts';

if (requirePrereqs({ root: true, commands: ['getfattr', 'setfattr'] })) pruneSuite('overlayfs');
else describe.skip('prune on overlayfs', () => {});
