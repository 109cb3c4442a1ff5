/** Where things live in the repository. */
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MODELS_DIR = join(ROOT, "models");
/** Generated TypeScript weight tables, imported by the DeviceScript program and by Node. */
export const TABLES_DIR = join(ROOT, "src", "models");

/** The weight tables module of shipped model `name`. */
export function tablesPath(name: string): string {
  return join(TABLES_DIR, `${name}.ts`);
}

/** A model name: lowercase letters, digits and dashes, at most 40 characters. */
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,39}$/;
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
  if (existsSync(join(p, "model.json"))) return join(p, "model.json");
  if (!existsSync(p)) throw new UserError(`model not found: ${spec}`);
  return p;
}
