#!/usr/bin/env bash
# Prepares a machine for tsbuild: Node 24 (locally, when the system one is older), the npm
# dependencies, and — when run as root — the Debian packages the tests and RUN steps use.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools="$root/.tools"
mkdir -p "$tools/bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node >= 24: the system one if new enough, else node@24 from the npm registry.
if [ ! -x "$tools/bin/node" ]; then
  sys=$(command -v node || true)
  if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge 24 ]; then
    ln -sf "$sys" "$tools/bin/node"
  else
    echo "setup: installing Node 24 from the npm registry into .tools/node24" >&2
    mkdir -p "$tools/node24"
    npm install --silent --no-save --no-audit --no-fund --prefix "$tools/node24" node@24 >/dev/null
    ln -sf "$tools/node24/node_modules/node/bin/node" "$tools/bin/node"
  fi
fi
export PATH="$tools/bin:$PATH"
[ "$(node_major node)" -ge 24 ] || { echo "setup: Node 24 is not available" >&2; exit 1; }

# 2. Debian packages (root only): the OCI runtime, busybox for the base image, the registry and
#    the tools that read our output; docker.io for the tests of `--builder docker` (its dockerd and
#    the BuildKit it embeds; openssl makes their TLS certificates); gcc for the native module.
pkgs=(runc crun busybox-static docker-registry docker.io openssl skopeo umoci pigz tmux iproute2 attr git xz-utils bzip2 zstd qemu-user-static gcc libc6-dev)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Foreign-platform RUN: QEMU registered with binfmt_misc, and an arm64 busybox for the tests'
  # two-platform base image (the .deb only, kept in apt's archive directory).
  scripts/register-qemu.sh aarch64
  if ! compgen -G '/var/cache/apt/archives/busybox-static_*_arm64.deb' >/dev/null; then
    echo "setup: apt-get download busybox-static:arm64" >&2
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    download() { (cd /var/cache/apt/archives && apt-get download -qq busybox-static:arm64 >/dev/null 2>&1); }
    download || { apt-get update -qq >/dev/null && download; }
  fi
fi

# 3. npm dependencies, only when package.json or the lock changed since the last install.
stamp="$root/node_modules/.tsbuild-setup"
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  echo "setup: npm install" >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  touch "$stamp"
fi

# 4. The native module for mount(2), umount2(2), mknod(2) and xattrs (oci/sys): without it tsbuild
#    spawns the tools instead. As root the compiler was installed above, so failing is an error.
if [ "$(id -u)" = 0 ]; then "$tools/bin/node" scripts/build-native.ts --if-stale --require; else "$tools/bin/node" scripts/build-native.ts --if-stale; fi

# 5. The prebuilt CLI (dist/<build>/) that cli/bin.js starts from while it matches the sources.
"$tools/bin/node" scripts/bundle.ts --if-stale
