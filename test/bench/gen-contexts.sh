#!/bin/bash
# Generate the (uncommitted) build contexts under test/bench/.data/ (or $TSBUILD_BENCH_DATA). Deterministic content, fixed mtimes.
#   gen-contexts.sh [CTX...]   only the named contexts (ctx-big, ctx-app, ctx-realistic, ctx-a-runs…); none: all
set -euo pipefail
WANT=("$@")
want() { [ ${#WANT[@]} -eq 0 ] && return 0; local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
B=$(cd "$(dirname "$0")" && pwd)
W=${TSBUILD_BENCH_DATA:-$B/.data}; mkdir -p "$W"
prng() { # prng SEED BYTES -> deterministic incompressible bytes on stdout
  (set +o pipefail; openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -in /dev/zero 2>/dev/null | head -c "$2"); }

# c-bigctx: 20,000 small files (200 dirs x 100) + 3 x 50 MB files
C=$W/ctx-big
if want ctx-big && [ ! -f "$W/.ctx-big.complete" ]; then
  rm -rf "$C"; mkdir -p "$C/small"
  python3 - "$C/small" <<'PY'
import os, sys, hashlib
root = sys.argv[1]
for d in range(200):
    dp = os.path.join(root, f"d{d:03d}"); os.makedirs(dp, exist_ok=True)
    for f in range(100):
        n = (d * 100 + f)
        size = 64 + (n * 7919) % 4000          # 64..4063 bytes
        line = hashlib.sha256(str(n).encode()).hexdigest() + "\n"
        data = (line * (size // len(line) + 1))[:size]
        with open(os.path.join(dp, f"f{f:03d}.txt"), "w") as fh: fh.write(data)
PY
  prng big1 52428800 > "$C/big1.bin"
  (set +o pipefail; seq 1 20000000 | head -c 52428800 > "$C/big2.txt")      # compressible text
  prng big3 52428800 > "$C/big3.bin"
  cp "$B/cases/c-bigctx/Dockerfile" "$C/Dockerfile"
  find "$C" -exec touch -h -d '2024-01-01T00:00:00Z' {} +
  touch "$W/.ctx-big.complete"
fi

# e-app: deps manifest + 2,000 source files
A=$W/ctx-app
if want ctx-app && [ ! -f "$W/.ctx-app.complete" ]; then
  rm -rf "$A"; mkdir -p "$A/src"
  for i in $(seq -w 1 100); do echo "dep$i"; done > "$A/deps.txt"
  python3 - "$A/src" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(20):
    dp = os.path.join(root, f"m{d:02d}"); os.makedirs(dp, exist_ok=True)
    for f in range(100):
        with open(os.path.join(dp, f"file{f:03d}.js"), "w") as fh:
            fh.write("".join(f"export const v{k} = {d*1000+f*10+k}; // module {d}/{f}\n" for k in range(20)))
PY
  cp "$B/cases/e-app/Dockerfile" "$A/Dockerfile"
  find "$A" -exec touch -h -d '2024-01-01T00:00:00Z' {} +
  touch "$W/.ctx-app.complete"
fi

# realistic: a Makefile and 200 source files under src/, "compiled" by make one file at a time
R=$W/ctx-realistic
if want ctx-realistic && [ ! -f "$W/.ctx-realistic.complete" ]; then
  rm -rf "$R"; mkdir -p "$R/src"
  printf '%s\n' 'SRCS := $(sort $(wildcard lib/*/*.src))' 'SUMS := $(SRCS:.src=.sum)' \
    'build/app.sum: $(SUMS)' '	mkdir -p build && cat $(SUMS) | sha256sum > $@' \
    '%.sum: %.src' "	tr 'a-z' 'A-Z' < \$< | sha256sum > \$@" > "$R/src/Makefile"
  python3 - "$R/src/lib" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(10):
    dp = os.path.join(root, f"m{d:02d}"); os.makedirs(dp, exist_ok=True)
    for f in range(20):
        with open(os.path.join(dp, f"unit{f:03d}.src"), "w") as fh:
            fh.write("".join(f"int unit_{d}_{f}_{k}(void) {{ return {d*1000+f*10+k}; }}\n" for k in range(40)))
PY
  cp "$B/cases/realistic/Dockerfile" "$R/Dockerfile"
  find "$R" -exec touch -h -d '2024-01-01T00:00:00Z' {} +
  touch "$W/.ctx-realistic.complete"
fi

# a-runs / b-multistage / ten-runs: context is just the Dockerfile
for c in a-runs b-multistage ten-runs; do want ctx-$c || continue; mkdir -p "$W/ctx-$c"; cp "$B/cases/$c/Dockerfile" "$W/ctx-$c/Dockerfile"; done
du -sh "$W"/ctx-* 
