/**
 * Reads a generated weight-tables module (src/generated/models/<name>.ts, written by tables.ts) in Node.
 * The module is parsed as text, not imported: a tables file is data, so a file from anywhere
 * (a copy, a user's own model) is read without running it, the same file read twice in one
 * process is read twice (no module cache), and anything that is not what `bnn export` writes
 * is a one-line error naming the file and the line.
 *
 * Accepted, one per line: `export const NAME = "text"`, `= <integer>` (decimal or 0x hex),
 * `= [<integers>]`, and `= hex\`...\`` (hex byte pairs, whitespace ignored, over any number of
 * lines). Comments, blank lines and the layer lists the program uses (`HIDDEN`, `OUTPUT`, which
 * only name the values above them) are skipped, as is `PROGRAM_MODEL`.
 */
import { existsSync, statSync } from "node:fs";
import { UserError } from "../errors.ts";
import { MAX_MODEL_BYTES, MODEL_NAME } from "../model/format.ts";
import { displayPath } from "../paths.ts";
import { readTextFile } from "../text-file.ts";

export interface Tables {
  MODEL_NAME: string;
  MODEL_ID: string;
  INPUT_WIDTH: number;
  INPUT_HEIGHT: number;
  INPUT_THRESHOLD: number;
  LAYER_SIZES: number[];
  HIDDEN_LAYERS: number;
  SCORE_SHIFT: number;
  [table: string]: unknown;
}

const REQUIRED: Record<string, "string" | "number" | "list"> = {
  MODEL_NAME: "string",
  MODEL_ID: "string",
  INPUT_WIDTH: "number",
  INPUT_HEIGHT: "number",
  INPUT_THRESHOLD: "number",
  LAYER_SIZES: "list",
  HIDDEN_LAYERS: "number",
  SCORE_SHIFT: "number",
};

/** The layer lists and the model object of the DeviceScript program: they refer to the values above, hold no data of their own. */
const SKIPPED = new Set(["CONV", "HIDDEN", "OUTPUT", "PROGRAM_MODEL"]);

export function parseTables(text: string, where: string): Tables {
  const fail = (line: number, msg: string): never => {
    throw new UserError(`${where}:${line}: ${msg}`);
  };
  const out: Record<string, unknown> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("//") || line.startsWith("/*") || line.startsWith("*")) continue;
    const m = /^export const ([A-Z][A-Z0-9_]*) = (.*)$/.exec(line);
    if (!m) {
      if (/^[\]}),]/.test(line) || /^\{ (inputs|shape):/.test(line)) continue; // inside a skipped layer list
      fail(i + 1, `not a weight-tables line (bnn export writes these files): ${line.slice(0, 60)}`);
    }
    const [, name, value] = m!;
    if (name in out) fail(i + 1, `${name} is defined twice`);
    if (SKIPPED.has(name)) continue;
    if (value.startsWith("hex`")) {
      let body = value.slice(4);
      while (!body.includes("`")) {
        if (++i >= lines.length) fail(i, `hex\`...\` of ${name} is not closed`);
        body += lines[i];
      }
      if (!/`\s*$/.test(body)) fail(i + 1, `text after the hex\`...\` of ${name}`);
      const hex = body.slice(0, body.indexOf("`")).replace(/\s+/g, "");
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) fail(i + 1, `${name} holds something that is not hex byte pairs`);
      out[name] = Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
    } else if (/^"[^"\\]*"$/.test(value)) {
      out[name] = value.slice(1, -1);
    } else if (/^(-?\d+|0x[0-9a-fA-F]+)$/.test(value)) {
      out[name] = Number(value);
    } else if (/^\[(\s*-?\d+\s*(,\s*-?\d+\s*)*)?\]$/.test(value)) {
      out[name] =
        value.slice(1, -1).trim() === ""
          ? []
          : value
              .slice(1, -1)
              .split(",")
              .map((v) => Number(v.trim()));
    } else {
      fail(i + 1, `${name} is not a string, an integer, a list of integers or a hex\`...\` buffer`);
    }
  }
  for (const [name, kind] of Object.entries(REQUIRED)) {
    const v = out[name];
    const ok = kind === "string" ? typeof v === "string" : kind === "number" ? typeof v === "number" && Number.isSafeInteger(v) : Array.isArray(v);
    if (!ok) throw new UserError(`${where}: ${name} is missing or not a ${kind === "list" ? "list of integers" : kind}`);
  }
  // the name names files (generated/<name>/): checked like a name typed on the command line
  if (!MODEL_NAME.test(out.MODEL_NAME as string))
    throw new UserError(
      `${where}: MODEL_NAME "${(out.MODEL_NAME as string).slice(0, 50)}" is not a model name (lowercase letters, digits and dashes, at most 40)`,
    );
  if (!/^[0-9a-f]{16}$/.test(out.MODEL_ID as string)) throw new UserError(`${where}: MODEL_ID is not 16 lowercase hex digits`);
  return out as Tables;
}

export function loadTables(path: string): Tables {
  const where = displayPath(path);
  if (!existsSync(path)) throw new UserError(`weight tables not found: ${where} (run bnn export)`);
  if (!statSync(path).isFile()) throw new UserError(`weight tables: ${where} is not a file`);
  return parseTables(readTextFile(path, where, MAX_MODEL_BYTES, "weight tables file"), where);
}

/**
 * Packed words of the input and of each hidden layer's output (convolutions first) of a tables
 * module, as the verification records carry them. The shapes are taken as written: the C
 * generator is where they are checked.
 */
export function tableRecordLayout(t: Tables): { inputWords: number; hiddenWords: number[]; outputs: number } {
  const words = (n: number) => (n + 31) >>> 5;
  const sizes = t.LAYER_SIZES;
  const convCount = typeof t.CONV_LAYERS === "number" ? t.CONV_LAYERS : 0;
  const conv = Array.from({ length: convCount }, (_, k) => {
    const s = t[`C${k + 1}_SHAPE`];
    if (!Array.isArray(s) || s.length !== 6) throw new UserError(`weight tables: C${k + 1}_SHAPE must be [height, width, channels, kernel, outputs, pool]`);
    const [h, w, , kernel, outputs, pool] = s as number[];
    return words(((((h - kernel + 1) / pool) * (w - kernel + 1)) / pool) * outputs);
  });
  return { inputWords: words(t.INPUT_WIDTH * t.INPUT_HEIGHT), hiddenWords: [...conv, ...sizes.slice(1, -1).map(words)], outputs: sizes[sizes.length - 1] };
}
