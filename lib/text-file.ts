/**
 * Reading a text file a user gives bnn (a model, a stroke file, weight tables): one place that
 * refuses what would otherwise fail late or silently. A file over `maxBytes` is refused before
 * it is read (a 600 MB "model" would otherwise end in V8's "Cannot create a string longer
 * than ..."); bytes that are not UTF-8 are refused with their line (a plain utf8 read turns them
 * into U+FFFD without a word); a byte order mark at the start is dropped (editors on Windows
 * write one; it is not content).
 */
import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { UserError } from "./errors.ts";

const MB = 1024 * 1024;

export function readTextFile(path: string, name: string, maxBytes: number, what = "file"): string {
  const fd = openSync(path, "r");
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    // a device or a pipe has no size to check (/dev/zero never ends): files only
    if (!stat.isFile()) throw new UserError(`${name} is not a file`);
    const size = stat.size;
    if (size > maxBytes) throw new UserError(`${name}: ${(size / MB).toFixed(0)} MB; a ${what} is at most ${(maxBytes / MB).toFixed(0)} MB`);
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!isUtf8(bytes)) throw new UserError(`${name}:${firstBadLine(bytes)}: not UTF-8 text (a byte that is not UTF-8)`);
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The 1-based line of the first byte sequence that is not UTF-8. */
function firstBadLine(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (!isUtf8(bytes.subarray(start, i))) return line;
      line++;
      start = i + 1;
    }
  }
  return line;
}
