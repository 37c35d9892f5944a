// Type-aware lint (typescript-eslint). `npm run lint` runs it after the import-arrow check.
import { registerHooks } from 'node:module';
import js from '@eslint/js';

// typescript-eslint reads types through TypeScript's JS compiler API, which TypeScript 7 (our
// `tsc`) no longer ships: inside ESLint, `typescript` resolves to the `typescript-api` package
// (TypeScript 6), installed under that name so that `tsc` stays TypeScript 7.
registerHooks({
  resolve: (specifier, context, next) => next(specifier.replace(/^typescript(?=\/|$)/, 'typescript-api'), context),
});
const { default: tseslint } = await import('typescript-eslint');

const folders = '{llb,oci,solver,executor,frontends,remote,cli,test,scripts,examples}';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'lib/**', 'test/**/fixtures/**', '.tools/**'] },
  {
    files: [`${folders}/**/*.{ts,tsx,js,mjs}`, '*.js'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A callback may read a `let` before its one assignment (a watcher made after its file watch).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSAsExpression > TSNeverKeyword', message: 'A cast to `never` hides a type error: narrow the value or fix its type.' },
      ],
      // A leading `_` marks a binding kept on purpose (a parameter an interface requires, a field
      // dropped from a rest copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: ops and stores implement Promise-returning interfaces; an `async` body without `await`
      // keeps a throw a rejection, and rewriting 45 of them to `Promise.resolve` adds nothing.
      '@typescript-eslint/require-await': 'off',
      // Off: its hits were all String() of an unknown thrown value or of a non-State that a build
      // program passed, where String() is the intended fallback; templates are checked by
      // restrict-template-expressions.
      '@typescript-eslint/no-base-to-string': 'off',
      // A rejection forwards an abort reason or a caught value, both untyped: only a value known
      // not to be an Error (a string, a number) is refused.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Off in tests: they parse the CLI's JSON output and the protobuf schema and poke at it;
      // a wrong shape fails the expect() that reads it, so typing each parse would be noise.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JS files are outside tsconfig.json: no type information for them.
    files: ['**/*.{js,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
