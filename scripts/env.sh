# Sourced by the project's scripts: puts the project's Node first on PATH.
__tsb_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$__tsb_root/.tools/bin:$__tsb_root/node_modules/.bin:$PATH"
