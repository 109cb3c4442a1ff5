/** `bnn codegen`: generates the C inference (bnn_model.h/.c) from a model's TypeScript weight tables. */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateC, rebuildWasm, wasmIsFresh } from "../lib/codegen/codegen.ts";
import { displayPath, generatedDir, tablesPath } from "../lib/paths.ts";
import { WASM_FILE } from "../lib/targets/wasm-abi.ts";
import { WASM_HASH_FILE } from "../lib/targets/wasm.ts";
import { defineCommand } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { hasGeneratedHeader } from "../lib/export/generated-header.ts";
import { outputFolder, writeOutput } from "../lib/output.ts";

export const codegenCommand = defineCommand({
  name: "codegen",
  summary: "generate C99 inference from a model's TypeScript weight tables",
  usage: "For the shipped models, `bnn regen` regenerates this and every other generated file (and --check checks them).",
  options: {
    model: { type: "string", description: "shipped model name (reads src/generated/models/<name>.ts)", default: "default", metavar: "name" },
    tables: { type: "string", description: "weight tables module to read instead (then --out is needed)", metavar: "file.ts" },
    out: { type: "string", description: "output folder (default for a shipped model: firmware-codegen/generated/<name>)", metavar: "dir" },
    force: { type: "boolean", description: "overwrite generated C of another model (or files of the user's) in --out" },
  },
  async run(o) {
    const tables = resolve(o.tables ?? tablesPath(o.model));
    if (!existsSync(tables)) throw new UserError(`weight tables not found: ${displayPath(tables)} (run bnn export --model ${o.model})`);
    const { name, id, files } = await generateC(tables);
    // the shipped tables' C goes where bnn regen puts it; other tables' C needs a folder of its own
    const shipped = tables === tablesPath(name);
    if (o.out === undefined && !shipped)
      throw new UserError(`${displayPath(tables)} are not the shipped tables of ${name} (${displayPath(tablesPath(name))}): give --out DIR`, ExitCode.Usage);
    const written = [...Object.keys(files), WASM_FILE, WASM_HASH_FILE];
    // C this command wrote for this very model may be refreshed: anything else needs --force
    const out = o.out ?? generatedDir(name);
    const ours = ownOutput(resolve(out), id);
    const sameModel = (p: string) => ours && (!p.endsWith(".c") || hasGeneratedHeader(readFileSync(p, "utf8"), "bnn codegen"));
    const dir = outputFolder(out, "--out", written, { force: o.force, mayReplace: sameModel, regenTarget: shipped ? generatedDir(name) : undefined });
    const rel = displayPath(dir);
    for (const [file, text] of Object.entries(files)) writeOutput(join(dir, file), text);
    let wasmNote = "";
    if (!wasmIsFresh(dir, files)) {
      if (!(await rebuildWasm(dir, files)))
        throw new UserError(
          `C written, but ${WASM_FILE} is stale and clang/wasm-ld are missing: install clang and lld, then run bnn codegen again`,
          ExitCode.Mismatch,
        );
      wasmNote = `, ${WASM_FILE}`;
    }
    console.log(`${rel}: ${Object.keys(files).join(", ")}${wasmNote} of ${name}`);
  },
});

/** True when `dir` holds the header bnn codegen generated for model `id`. */
function ownOutput(dir: string, id: string): boolean {
  const header = join(dir, "bnn_model.h");
  if (!existsSync(header)) return false;
  const text = readFileSync(header, "utf8");
  return hasGeneratedHeader(text, "bnn codegen") && text.includes(`#define BNN_MODEL_ID "${id}"`);
}
