#!/usr/bin/env bash
# Registers QEMU user emulation with binfmt_misc so that RUN steps of foreign platforms work:
#   scripts/register-qemu.sh [QEMU_ARCH...]     (default: aarch64)
# Each rule uses /usr/bin/qemu-<arch>-static (Debian's qemu-user-static) with flags F (the kernel
# opens the interpreter now, so containers need not hold it) and P (argv[0] is kept: busybox's
# applets need it). Registration is kernel-wide: a handler already registered under that name is
# left as it is, whoever added it, and nothing is ever removed. Needs root.
set -euo pipefail
dir=/proc/sys/fs/binfmt_misc
[ "$(id -u)" = 0 ] || { echo "register-qemu: needs root" >&2; exit 1; }
if [ ! -e "$dir/register" ]; then
  mount -t binfmt_misc binfmt_misc "$dir"
fi
[ $# -gt 0 ] || set -- aarch64
for arch in "$@"; do
  name="qemu-$arch"
  interp="/usr/bin/qemu-$arch-static"
  [ -x "$interp" ] || { echo "register-qemu: $interp is missing: apt-get install qemu-user-static" >&2; exit 1; }
  if [ -e "$dir/$name" ]; then
    continue
  fi
  if [ "$arch" = aarch64 ]; then
    # ELF, 64-bit, little-endian, e_type EXEC or DYN, e_machine 183 (AArch64).
    magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
  else
    # Debian's rule for the other architectures holds the magic and mask (fields 5 and 6).
    conf="/usr/lib/binfmt.d/$name.conf"
    [ -f "$conf" ] || { echo "register-qemu: no magic known for $arch ($conf is missing)" >&2; exit 1; }
    magic=$(cut -d: -f5 "$conf")
    mask=$(cut -d: -f6 "$conf")
  fi
  # A concurrent registration of the same name makes the write fail with EEXIST: that is fine.
  printf ':%s:M::%s:%s:%s:FP' "$name" "$magic" "$mask" "$interp" > "$dir/register" 2>/dev/null || [ -e "$dir/$name" ]
  echo "register-qemu: registered $name ($interp, flags FP)" >&2
done
