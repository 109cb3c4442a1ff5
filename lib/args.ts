/**
 * The command framework of `bnn`: each command is a module exporting a `Command` (its options
 * and one async function). Parsing is node:util parseArgs in strict mode; values are checked
 * here, so a command receives typed, validated options.
 */
import { parseArgs } from "node:util";
import { ExitCode, UserError } from "./errors.ts";

export type OptionSpec =
  | { type: "string"; description: string; default?: string; short?: string; choices?: readonly string[]; metavar?: string }
  | { type: "int"; description: string; default?: number; min?: number; max?: number; metavar?: string }
  | { type: "number"; description: string; default?: number; min?: number; max?: number; metavar?: string }
  | { type: "boolean"; description: string; short?: string };

export type OptionValues<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K] extends { type: "boolean" }
    ? boolean
    : S[K] extends { type: "int" | "number"; default: number }
      ? number
      : S[K] extends { type: "int" | "number" }
        ? number | undefined
        : S[K] extends { type: "string"; default: string }
          ? string
          : string | undefined;
};

export interface Command<S extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  summary: string;
  usage?: string;
  options: S;
  /** Positional arguments allowed (names for the help text). */
  positionals?: string[];
  /** `given` holds the options the user set (camelCase names), defaults aside. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a command that ends normally returns nothing (main.ts reads it as exit code 0)
  run(opts: OptionValues<S>, positionals: string[], given: ReadonlySet<string>): Promise<number | void>;
}

/** A decimal number as people type one: 12, -3, 0.5, .5, 1e-3. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function defineCommand<S extends Record<string, OptionSpec>>(c: Command<S>): Command<S> {
  return c;
}

export function usageError(message: string): UserError {
  return new UserError(message, ExitCode.Usage);
}

export function helpText(prog: string, c: Command): string {
  const lines = [
    `${prog} ${c.name} — ${c.summary}`,
    "",
    `usage: ${prog} ${c.name}${c.positionals?.length ? " " + c.positionals.map((p) => `<${p}>`).join(" ") : ""} [options]`,
  ];
  if (c.usage) lines.push("", c.usage);
  lines.push("", "options:");
  const entries = Object.entries({ ...c.options, help: { type: "boolean", description: "show this help" } as OptionSpec });
  for (const [name, spec] of entries) {
    const flag = `--${kebab(name)}${spec.type === "boolean" ? "" : ` <${("metavar" in spec && spec.metavar) || spec.type}>`}`;
    let desc = spec.description;
    if ("choices" in spec && spec.choices) desc += ` (${spec.choices.join("|")})`;
    if ("default" in spec && spec.default !== undefined) desc += ` [default: ${spec.default}]`;
    lines.push(`  ${flag.padEnd(26)} ${desc}`);
  }
  return lines.join("\n");
}

export function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/**
 * `--count -1` as `--count=-1`: parseArgs reads a value that starts with "-" as an option, so a
 * negative number after an option that takes a value would be "ambiguous" instead of a clear
 * range error.
 */
function joinNegativeValues(argv: string[], takesValue: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** A usage error unless `option` was left at its default or `applies` holds. */
export function onlyWith(given: ReadonlySet<string>, option: string, applies: boolean, why: string): void {
  if (given.has(option) && !applies) throw usageError(`--${kebab(option)} ${why}`);
}

/** Parses argv for one command. Returns undefined when --help was asked (and printed). */
export function parseCommand<S extends Record<string, OptionSpec>>(
  prog: string,
  c: Command<S>,
  rawArgv: string[],
): { opts: OptionValues<S>; positionals: string[]; given: Set<string> } | undefined {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, spec] of Object.entries(c.options)) {
    options[kebab(name)] = { type: spec.type === "boolean" ? "boolean" : "string", ...("short" in spec && spec.short ? { short: spec.short } : {}) };
  }
  const takesValue = new Set(
    Object.entries(c.options)
      .filter(([, spec]) => spec.type !== "boolean")
      .map(([name]) => `--${kebab(name)}`),
  );
  const argv = joinNegativeValues(rawArgv, takesValue);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw usageError(`${c.name}: ${(e as Error).message.split("\n")[0].replace(/\. To specify a positional.*$/, "")}`);
  }
  if (parsed.values.help) {
    console.log(helpText(prog, c as unknown as Command));
    return undefined;
  }
  const max = c.positionals?.length ?? 0;
  if (parsed.positionals.length > max) throw usageError(`${c.name}: unexpected argument '${parsed.positionals[max]}'`);
  const out: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(c.options)) {
    const raw = (parsed.values as Record<string, string | boolean | undefined>)[kebab(name)];
    if (raw !== undefined && raw !== false) given.add(name);
    const flag = `--${kebab(name)}`;
    if (spec.type === "boolean") {
      out[name] = raw === true;
      continue;
    }
    if (raw === undefined) {
      out[name] = spec.default;
      continue;
    }
    const text = String(raw);
    if (spec.type === "string") {
      if (spec.choices && !spec.choices.includes(text)) throw usageError(`${flag} must be one of ${spec.choices.join(", ")}; got '${text}'`);
      out[name] = text;
      continue;
    }
    // decimal only: Number() also reads "0x10", "0b1", " 7 " and "" (as 16, 1, 7 and 0)
    const n = DECIMAL.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) throw usageError(`${flag} needs a decimal number; got '${text.slice(0, 40)}'`);
    if (spec.type === "int" && !Number.isInteger(n)) throw usageError(`${flag} needs a whole number; got '${text}'`);
    if (spec.min !== undefined && n < spec.min) throw usageError(`${flag} must be at least ${spec.min}; got ${text}`);
    if (spec.max !== undefined && n > spec.max) throw usageError(`${flag} must be at most ${spec.max}; got ${text}`);
    out[name] = n;
  }
  return { opts: out as OptionValues<S>, positionals: parsed.positionals, given };
}
