/** Where things live in the repository. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.ts";
import { MODEL_NAME } from "./model/format.ts";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MODELS_DIR = join(ROOT, "models");
/** What `bnn regen` writes for the DeviceScript program: weight tables, sample digits, fixtures. */
export const GENERATED_TS_DIR = join(ROOT, "src", "generated");
/** Generated TypeScript weight tables, imported by the DeviceScript program and by Node. */
export const TABLES_DIR = join(GENERATED_TS_DIR, "models");
/** The firmware's C: the hand-written part (c/) and the generated model code (generated/). */
export const FIRMWARE_DIR = join(ROOT, "firmware-codegen");
/** Hand-written C the generated code, the service and the harnesses use. */
export const C_DIR = join(FIRMWARE_DIR, "c");
/** Generated C (and its WebAssembly build), one folder per shipped model. */
export const GENERATED_C_DIR = join(FIRMWARE_DIR, "generated");

/** The generated C of shipped model `model`. */
export function generatedDir(model: string): string {
  return join(GENERATED_C_DIR, model);
}

/** A path as the user reads it best: relative inside the current folder, else absolute. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") ? p : r;
}

/** The weight tables module of shipped model `name`. */
export function tablesPath(name: string): string {
  return join(TABLES_DIR, `${name}.ts`);
}

const NAME = MODEL_NAME;

/** The shipped models: the folders of models/ that hold a model.json, by name. */
export function shippedModels(): string[] {
  return readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(MODELS_DIR, d.name, "model.json")))
    .map((d) => d.name)
    .sort();
}

/** A shipped model's name (`default`) or a path to a model.json or to the folder holding it. */
export function resolveModelPath(spec: string): string {
  if (NAME.test(spec) && !existsSync(spec)) {
    const path = join(MODELS_DIR, spec, "model.json");
    if (!existsSync(path)) throw new UserError(`no shipped model named '${spec}' (looked for ${path}); give a name or a path`);
    return path;
  }
  const p = isAbsolute(spec) ? spec : resolve(spec);
  if (!existsSync(p)) throw new UserError(`model not found: ${spec}`);
  if (statSync(p).isDirectory()) {
    if (existsSync(join(p, "model.json"))) return join(p, "model.json");
    throw new UserError(`${spec} is a folder without a model.json`);
  }
  return p;
}
