// Byte-level helpers shared by the codec and the builders: Go compares strings bytewise (UTF-8),
// JavaScript compares UTF-16 code units, and the two disagree above U+FFFF.

const utf8 = new TextEncoder();

export function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Orders strings as Go's `strings.Compare` does (bytewise over UTF-8). */
export function compareStrings(a: string, b: string): number {
  return compareUtf8(utf8.encode(a), utf8.encode(b));
}
