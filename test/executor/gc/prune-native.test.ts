import { pruneSuite } from './prune-suite.ts';

pruneSuite('native');
