/** `bnn codegen`: generates the C inference (bnn_model.h/.c) from a model's TypeScript weight tables. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { generateHeader, generateSource, modelFromTables } from "../../firmware-codegen/src/generate.ts";
import { buildCommittedWasm, recordedWasmHash, wasmInputsHash, WASM_FILE } from "../../firmware-codegen/src/wasm.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadTables } from "../lib/export/load-tables.ts";
import { GENERATED_C_DIR, ROOT, TABLES_DIR } from "../lib/paths.ts";
import { defineCommand } from "./args.ts";

/** The generated C files of the tables at `tablesPath`, by file name. */
export async function generateC(tablesPath: string): Promise<{ name: string; files: Record<string, string> }> {
  const model = modelFromTables(await loadTables(tablesPath));
  const source = relative(ROOT, tablesPath);
  return { name: model.name, files: { "bnn_model.h": generateHeader(model, source), "bnn_model.c": generateSource(model, source) } };
}

/** Throws unless the committed C of model `name` in `dir` equals what its tables generate. */
export async function checkGenerated(name: string, dir: string, generated?: Record<string, string>): Promise<void> {
  const files = generated ?? (await generateC(join(TABLES_DIR, `${name}.ts`))).files;
  for (const [file, text] of Object.entries(files)) {
    const path = join(dir, file);
    if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
      throw new UserError(`${relative(process.cwd(), path)} is missing or stale: run bnn codegen --model ${name}`, ExitCode.Mismatch);
    }
  }
  if (recordedWasmHash(dir) !== wasmInputsHash(dir, files as { "bnn_model.c": string; "bnn_model.h": string })) {
    throw new UserError(`${relative(process.cwd(), join(dir, WASM_FILE))} is missing or stale: run bnn codegen --model ${name} (needs clang and lld)`, ExitCode.Mismatch);
  }
}

export const codegenCommand = defineCommand({
  name: "codegen",
  summary: "generate C99 inference from a model's TypeScript weight tables",
  options: {
    model: { type: "string", description: "shipped model name (reads src/models/<name>.ts)", default: "default", metavar: "name" },
    tables: { type: "string", description: "weight tables module to read instead", metavar: "file.ts" },
    out: { type: "string", description: "output folder (default: firmware-codegen/generated/<name>)", metavar: "dir" },
    check: { type: "boolean", description: "write nothing; exit 5 if the C files are missing or stale" },
  },
  async run(o) {
    const tablesPath = resolve(o.tables ?? join(TABLES_DIR, `${o.model}.ts`));
    if (!existsSync(tablesPath)) throw new UserError(`weight tables not found: ${relative(process.cwd(), tablesPath)} (run bnn export --model ${o.model})`);
    const { name, files } = await generateC(tablesPath);
    const dir = resolve(o.out ?? join(GENERATED_C_DIR, name));
    const rel = relative(process.cwd(), dir) || ".";
    if (o.check) {
      await checkGenerated(name, dir, files);
      return console.log(`${rel}: C and wasm of ${name} are up to date`);
    }
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const hash = wasmInputsHash(dir, files as { "bnn_model.c": string; "bnn_model.h": string });
    let wasmNote = "";
    if (recordedWasmHash(dir) !== hash) {
      if (!buildCommittedWasm(dir, hash)) throw new UserError(`C written, but ${WASM_FILE} is stale and clang/wasm-ld are missing: install clang and lld, then run bnn codegen again`, ExitCode.Mismatch);
      wasmNote = `, ${WASM_FILE}`;
    }
    console.log(`${rel}: ${Object.keys(files).join(", ")}${wasmNote} of ${name}`);
  },
});
