#!/usr/bin/env bash
# The example, end to end, on a fresh machine: set up, seed the local image store with a busybox
# base built by tsbuild itself from the host's static busybox, build the example app image from
# examples/app/build.ts, list the images, and run the image's command once.
#
# State goes to $TSBUILD_ROOT (default: ${XDG_DATA_HOME:-~/.local/share}/tsbuild). A second run
# only checks: setup is a no-op, the seed is skipped, and the build is served from the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<'EOF'
example: this needs root.

The example image has RUN steps, and `tsbuild run` starts the image: both execute processes in
runc, which needs root (and overlayfs snapshots need it too). Run it as root:

  sudo ./scripts/example.sh

Without root you can still compile the example to LLB and inspect it:

  ./scripts/setup.sh
  ./scripts/tsbuild debug build-llb examples/app/build.ts | ./scripts/tsbuild debug dump-llb
EOF
  exit 1
fi

./scripts/setup.sh
tsbuild=./scripts/tsbuild

if ! command -v runc >/dev/null 2>&1 && ! command -v crun >/dev/null 2>&1; then
  echo "example: no OCI runtime found: RUN steps need runc (apt-get install runc; scripts/setup.sh does this on Debian)" >&2
  exit 1
fi
if [ ! -x /usr/bin/busybox ]; then
  echo "example: /usr/bin/busybox is missing: the base image is made from it (apt-get install busybox-static)" >&2
  exit 1
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. The base image: busybox:latest in the local store, built by tsbuild from the host's binary.
if "$tsbuild" images -q | grep -qx 'docker.io/library/busybox:latest'; then
  step "busybox:latest is already in the local image store"
else
  step "seeding the local image store: busybox:latest from /usr/bin/busybox"
  "$tsbuild" build -f examples/busybox/build.ts --local busybox=/usr/bin -t busybox:latest examples/busybox
fi

# 2. The example app, written as a TypeScript build program (examples/app/Dockerfile is the same image).
step "building app:latest from examples/app/build.ts"
"$tsbuild" build -f examples/app/build.ts -t app:latest examples/app

# 3. What the store holds now.
step "tsbuild images"
"$tsbuild" images

# 4. The image's command, once, in runc.
step "tsbuild run app:latest"
"$tsbuild" run app:latest
