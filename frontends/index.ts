export * from './dockerfile/index.ts';
