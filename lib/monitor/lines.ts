/**
 * Bytes from a serial port or a pipe, cut into text lines. The stream mixes DMESG text with
 * Jacdac binary frames and garbage, so bytes are decoded one-to-one (latin1: any byte is a
 * character, nothing fails to decode), CR, LF and CRLF all end a line, empty lines are dropped,
 * and a line is capped at `maxLine` bytes: the excess up to the next line end is discarded, and
 * the line is handed on marked `cut` (it is overlong, and nothing else: a result in its first
 * `maxLine` bytes is not one, its line went on where no result ends).
 */

export const MAX_LINE = 4096;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowing = false;
  /** Lines that were longer than the cap (and cut). */
  overlong = 0;

  constructor(
    private readonly onLine: (line: string, cut: boolean) => void,
    private readonly maxLine = MAX_LINE,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      this.take(chunk.subarray(start, i));
      this.endLine();
      start = i + 1;
    }
    this.take(chunk.subarray(start));
  }

  /** Ends the stream: the last line counts even without a line end. */
  flush(): void {
    this.endLine();
  }

  /** Forgets a partial line (the port closed mid-line: its tail will never come). */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.overflowing = false;
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.maxLine - this.size;
    if (bytes.length > room) {
      if (!this.overflowing) this.overlong++;
      this.overflowing = true;
      bytes = bytes.subarray(0, room);
      if (bytes.length === 0) return;
    }
    this.parts.push(Buffer.from(bytes)); // copy: serial read pools are reused
    this.size += bytes.length;
  }

  private endLine(): void {
    const line = Buffer.concat(this.parts, this.size).toString("latin1");
    const cut = this.overflowing;
    this.reset();
    if (line.length > 0) this.onLine(line, cut);
  }
}

/** How `devs run` marks a line the VM's program (the simulated board) printed. */
const VM_PREFIX = /^WASM> ?/;

/**
 * The board's own text in a line of `devs run` output (the simulated board's serial stream, for
 * `bnn sim --raw` to pass to `bnn monitor --stdin`): the VM's console lines without their
 * "WASM> " mark; undefined for the DeviceScript CLI's own lines ("using devs: …" with its
 * versions, "connected to ws://…" with its default hub URL, "self-deployed …"), which a board
 * never sends.
 */
export function boardLine(line: string): string | undefined {
  return VM_PREFIX.test(line) ? line.replace(VM_PREFIX, "") : undefined;
}
