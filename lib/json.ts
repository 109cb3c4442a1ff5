/**
 * Strict JSON for the files users give bnn (stroke files, model files): a small parser of its
 * own that knows the line of every value (JSON.parse knows none), so every defect is one line
 * naming file:line:column. Stricter than JSON.parse where JSON.parse is silently lossy: a key
 * that appears twice in an object is refused (JSON.parse keeps the last), and nesting deeper
 * than MAX_DEPTH is refused (it cannot overflow the stack).
 */
import { UserError } from "./errors.ts";

/** Deeper nesting than our files have is refused (and cannot overflow the parser's stack). */
const MAX_DEPTH = 32;

export interface Lines {
  /** Line of each array and object value. */
  of: WeakMap<object, number>;
  /** Line of each member value of an object, by key. */
  keys: WeakMap<object, Map<string, number>>;
  /** Line of each element of an array. */
  items: WeakMap<unknown[], number[]>;
}

export function newLines(): Lines {
  return { of: new WeakMap(), keys: new WeakMap(), items: new WeakMap() };
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export class Parser {
  private i = 0;
  private line: number;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    firstLine: number,
    private readonly lines: Lines,
  ) {
    this.line = firstLine;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.line, this.i - this.lineStart + 1);
  }

  private space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === 32 || c === 9 || c === 13) this.i++;
      else return;
    }
  }

  private what(): string {
    if (this.i >= this.text.length) return "the end of the text";
    const ch = this.text[this.i];
    return /[\x20-\x7e]/.test(ch) ? `'${ch}'` : `character U+${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`;
  }

  /** The whole text as one value (whitespace around it allowed). */
  document(): unknown {
    this.space();
    const v = this.value(0);
    this.space();
    if (this.i < this.text.length) this.fail(`found ${this.what()} after the value`);
    return v;
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} deep`);
    const c = this.text[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.fail(`found ${this.what()} where a value should be`);
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = new Map<string, number>();
    this.lines.of.set(out, this.line);
    this.lines.keys.set(out, keys);
    this.i++;
    this.space();
    if (this.text[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail(`found ${this.what()} where a key (a string) should be`);
      const key = this.string();
      if (keys.has(key)) this.fail(`key "${key.slice(0, 40)}" appears twice`);
      this.space();
      if (this.text[this.i] !== ":") this.fail(`found ${this.what()} where ':' should be`);
      this.i++;
      this.space();
      keys.set(key, this.line);
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === "}") return out;
      if (c !== ",") {
        this.i--;
        this.fail(`found ${this.what()} where ',' or '}' should be`);
      }
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    const items: number[] = [];
    this.lines.of.set(out, this.line);
    this.lines.items.set(out, items);
    this.i++;
    this.space();
    if (this.text[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      items.push(this.line);
      out.push(this.value(depth + 1));
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === "]") return out;
      if (c !== ",") {
        this.i--;
        this.fail(`found ${this.what()} where ',' or ']' should be`);
      }
    }
  }

  private string(): string {
    const t = this.text;
    this.i++;
    let out = "";
    for (;;) {
      const c = t[this.i];
      if (c === undefined) this.fail("a string is not closed");
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < " ") this.fail("a control character (a line break?) inside a string");
      if (c === "\\") {
        const e = t[this.i + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(t.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          this.i++;
          this.fail("a bad escape in a string");
        }
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private number(): number {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.text);
    if (!r) this.fail("a malformed number");
    this.i += r[0].length;
    return Number(r[0]);
  }
}

/** The value of JSON `text`; a defect is a one-line UserError `name:line:column: not valid JSON: ...`. */
export function parseJson(text: string, name: string, lines: Lines = newLines(), firstLine = 1): unknown {
  try {
    return new Parser(text, firstLine, lines).document();
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new UserError(`${name}:${e.line}:${e.column}: not valid JSON: ${e.message}`);
    throw e;
  }
}
