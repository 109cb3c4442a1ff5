/**
 * Sizes a reader can hold (issue 22): no hand-written source file over MAX_FILE_LINES lines and
 * no function over MAX_FUNCTION_LINES lines, TypeScript (measured with the TypeScript compiler's
 * own parser) and C (a function runs from its signature at the start of a line to the `}` that
 * closes it at the start of a line, the layout of every C file here). Generated files, the ones
 * `bnn regen` writes and any that starts with the generated-file header, are not counted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { expect, it } from "vitest";
import { generatedFiles } from "../lib/generated-files.ts";
import { hasGeneratedHeader } from "../lib/export/generated-header.ts";
import { yieldToEventLoop } from "../lib/event-loop.ts";
import { ROOT } from "../lib/paths.ts";
import { trackedFiles } from "./helpers.ts";

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 120;

async function handWritten(pattern: RegExp): Promise<{ path: string; text: string }[]> {
  const generated = new Set(generatedFiles().flatMap((f) => f.paths));
  const files = await trackedFiles();
  return files
    .filter((p) => pattern.test(p) && !generated.has(p) && !p.endsWith(".d.ts"))
    .map((path) => ({ path, text: readFileSync(join(ROOT, path), "utf8") }))
    .filter((f) => !hasGeneratedHeader(f.text));
}

const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

function tsFunctions(path: string, text: string): { name: string; line: number; lines: number }[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; line: number; lines: number }[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && "body" in n && n.body) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const b = sf.getLineAndCharacterOfPosition(n.end).line;
      const name = "name" in n && n.name ? n.name.getText(sf) : ts.isConstructorDeclaration(n) ? "constructor" : "(anonymous)";
      out.push({ name, line: a + 1, lines: b - a + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function cFunctions(text: string): { name: string; line: number; lines: number }[] {
  const lines = text.split("\n");
  const out: { name: string; line: number; lines: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^[A-Za-z_][\w\s*]*?\b(\w+)\s*\([^;]*$/.exec(lines[i]);
    if (!m || lines[i].startsWith("#") || /^(typedef|struct|enum|union)\b/.test(lines[i])) continue;
    // the signature may run over lines; the body opens with a '{' at a line's end
    let j = i;
    while (j < lines.length && !/\{\s*$/.test(lines[j]) && !/;\s*$/.test(lines[j])) j++;
    if (j >= lines.length || /;\s*$/.test(lines[j])) continue;
    let k = j + 1;
    while (k < lines.length && lines[k] !== "}") k++;
    out.push({ name: m[1], line: i + 1, lines: k - i + 1 });
    i = k;
  }
  return out;
}

it(`no hand-written source file over ${MAX_FILE_LINES} lines`, async () => {
  const files = await handWritten(/\.(ts|mts|cts|js|mjs|cjs|c|h)$/);
  const long = files.filter((f) => lineCount(f.text) > MAX_FILE_LINES).map((f) => `${f.path}: ${lineCount(f.text)} lines`);
  expect(long).toEqual([]);
});

it(`no function over ${MAX_FUNCTION_LINES} lines outside generated code`, async () => {
  const long: string[] = [];
  for (const [k, f] of (await handWritten(/\.(ts|mts|cts|js|mjs|cjs|c|h)$/)).entries()) {
    if (k % 5 === 0) await yieldToEventLoop(); // parsing 20 files took 0.5 s of a busy worker
    const fns = /\.[ch]$/.test(f.path) ? cFunctions(f.text) : tsFunctions(f.path, f.text);
    for (const fn of fns) if (fn.lines > MAX_FUNCTION_LINES) long.push(`${f.path}:${fn.line} ${fn.name}: ${fn.lines} lines`);
  }
  expect(long).toEqual([]);
});
