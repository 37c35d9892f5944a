#!/usr/bin/env bash
# The whole test suite: setup (Node 24, npm deps, Debian packages when root), import-arrow lint,
# type check, then every vitest test. Root-only tests (runc, overlayfs, the registry) fail rather
# than skip when TSBUILD_REQUIRE_ROOT=1 or CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh
node scripts/check-imports.ts
tsc -p tsconfig.json
vitest run "$@"
