/** `bnn export`: writes a model's TypeScript weight tables (src/generated/models/<name>.ts, or --out). */
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { defineCommand } from "../lib/args.ts";
import { hasGeneratedHeader } from "../lib/export/generated-header.ts";
import { generateTables, TABLES_COMMAND } from "../lib/export/tables.ts";
import { readModelFile } from "../lib/model/format.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import { displayPath, MODELS_DIR, resolveModelPath, ROOT, tablesPath } from "../lib/paths.ts";

export const exportCommand = defineCommand({
  name: "export",
  summary: "write a model's TypeScript weight tables, imported by DeviceScript and the C generator",
  usage: "For the shipped models, `bnn regen` regenerates these and every other generated file (and --check checks them).",
  options: {
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    out: { type: "string", description: "output .ts file (default: src/generated/models/<name>.ts)", metavar: "file" },
    force: { type: "boolean", description: "overwrite a file that holds something else (not these tables)" },
  },
  async run(o) {
    const path = resolveModelPath(o.model);
    const model = readModelFile(path);
    const text = generateTables(model, relative(ROOT, path));
    // a file bnn wrote for this very model may be refreshed; anything else (another model's
    // tables, a file of the user's) needs --force
    const sameModel = (p: string) => {
      const current = readFileSync(p, "utf8");
      return hasGeneratedHeader(current, TABLES_COMMAND) && current.includes(`export const MODEL_ID = "${model.id}"`);
    };
    // a shipped model's tables go where bnn regen puts them; no other model's may go there
    const shipped = resolve(path) === join(MODELS_DIR, model.file.name, "model.json");
    const regenTarget = shipped ? tablesPath(model.file.name) : undefined;
    const out = outputFile(o.out ?? tablesPath(model.file.name), "--out", { force: o.force, mayReplace: sameModel, regenTarget });
    const rel = displayPath(out);
    writeOutput(out, text);
    console.log(`${rel}: weight tables of ${model.file.name} (id ${model.id})`);
  },
});
