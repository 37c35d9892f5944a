#!/usr/bin/env bash
# The whole test suite: setup (Node 24, npm deps, Debian packages when root), import-arrow lint,
# ESLint (type-aware), the prettier check, type check, then every vitest test. Tests that need
# root, runc, overlayfs or the registry fail when those are missing (set TSBUILD_ALLOW_SKIP=1 to
# skip them on a machine without root).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh
node scripts/check-imports.ts
eslint .
prettier --check --cache --log-level warn .
tsc -p tsconfig.json
vitest run "$@"
