/** `bnn codegen`: generates the C inference (bnn_model.h/.c) from a model's TypeScript weight tables. */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateC, rebuildWasm, wasmIsFresh } from "../../firmware-codegen/src/codegen.ts";
import { generatedDir } from "../../firmware-codegen/src/paths.ts";
import { WASM_FILE } from "../../firmware-codegen/src/wasm-abi.ts";
import { defineCommand } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { outputFolder } from "../lib/output.ts";
import { displayPath, tablesPath } from "../lib/paths.ts";

export const codegenCommand = defineCommand({
  name: "codegen",
  summary: "generate C99 inference from a model's TypeScript weight tables",
  usage: "For the shipped models, `bnn regen` regenerates this and every other generated file (and --check checks them).",
  options: {
    model: { type: "string", description: "shipped model name (reads src/models/<name>.ts)", default: "default", metavar: "name" },
    tables: { type: "string", description: "weight tables module to read instead", metavar: "file.ts" },
    out: { type: "string", description: "output folder (default: firmware-codegen/generated/<name>)", metavar: "dir" },
  },
  async run(o) {
    const tables = resolve(o.tables ?? tablesPath(o.model));
    if (!existsSync(tables)) throw new UserError(`weight tables not found: ${displayPath(tables)} (run bnn export --model ${o.model})`);
    const { name, files } = await generateC(tables);
    const dir = outputFolder(o.out ?? generatedDir(name), "--out");
    const rel = displayPath(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    let wasmNote = "";
    if (!wasmIsFresh(dir, files)) {
      if (!(await rebuildWasm(dir, files))) throw new UserError(`C written, but ${WASM_FILE} is stale and clang/wasm-ld are missing: install clang and lld, then run bnn codegen again`, ExitCode.Mismatch);
      wasmNote = `, ${WASM_FILE}`;
    }
    console.log(`${rel}: ${Object.keys(files).join(", ")}${wasmNote} of ${name}`);
  },
});
