// Keeps the last bytes of a process's combined output for error messages, without holding it all.

export class OutputTail {
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #size = 0;

  constructor(limitBytes = 16 * 1024) {
    this.#limit = limitBytes;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0]!.length >= this.#limit) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  /** The last `maxLines` complete-or-partial lines, as text. */
  lines(maxLines = 20): string {
    let text = Buffer.concat(this.#chunks).toString('utf8');
    if (this.#size > this.#limit) text = text.slice(text.length - this.#limit);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-maxLines).join('\n');
  }
}
