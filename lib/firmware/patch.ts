/**
 * What `bnn firmware` changes in a firmware checkout, planned before anything is written (so
 * --dry-run shows it, and a refusal leaves the tree as it was):
 * - the sources (sources.ts) in `<app>/bnn/`, with a manifest `bnn-firmware.json` naming the
 *   model and each file's SHA-256. A file it wrote (its hash in the manifest) is ours to replace
 *   or remove; any other file there is the user's, and a different one of the same name is a
 *   refusal unless --force;
 * - one marked block at the end of `<app>/CMakeLists.txt` that adds bnn/*.c and the include
 *   folder to the firmware's target (and builds the model's C at -O2, see docs/service.md);
 * - in `<app>/main.c`, the service's header and `bnn_classifier_init();` after
 *   `devs_service_full_init();` in app_init_services(), each line marked.
 * Planning twice gives the same plan; applying a plan and planning again gives no change.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ExitCode, UserError } from "../errors.ts";
import { parseJson } from "../json.ts";
import { INIT_ANCHOR, type FirmwareLayout } from "./layout.ts";
import { serviceDefines, type FirmwareSource, type ServiceInputs } from "./sources.ts";

export const MANIFEST = "bnn-firmware.json";
/** The marker of every line or block bnn firmware writes into the firmware's own files. */
export const MARK = "bnn firmware";

export interface Manifest {
  generatedBy: "bnn firmware";
  model: string;
  modelId: string;
  inputs: ServiceInputs;
  /** file name in bnn/ -> SHA-256 of what bnn firmware wrote. */
  files: Record<string, string>;
}

export type Action = "create" | "update" | "delete";

export interface Change {
  /** Relative to the checkout, with `/`. */
  path: string;
  action: Action;
  /** The new content (create, update). */
  text?: string;
  why: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function readManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  const m = parseJson(readFileSync(path, "utf8"), path) as Partial<Manifest>;
  if (m.generatedBy !== "bnn firmware" || typeof m.files !== "object" || m.files === null)
    throw new UserError(`${path} is not a manifest bnn firmware wrote: move it away`);
  return m as Manifest;
}

function cmakeBlock(layout: FirmwareLayout, inputs: ServiceInputs): string {
  const target = layout.kind === "devicescript-pico" ? "devsrunner" : "${COMPONENT_LIB}";
  const defines = serviceDefines(inputs);
  return [
    `# >>> ${MARK}: the BNN classifier service and its model (bnn firmware rewrites this block)`,
    "file(GLOB BNN_FILES ${CMAKE_CURRENT_LIST_DIR}/bnn/*.c)",
    `target_sources(${target} PRIVATE \${BNN_FILES})`,
    `target_include_directories(${target} PRIVATE \${CMAKE_CURRENT_LIST_DIR}/bnn)`,
    'set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/bnn/bnn_model.c PROPERTIES COMPILE_OPTIONS "-O2")',
    ...(defines.length ? [`target_compile_definitions(${target} PRIVATE ${defines.join(" ")}) # the service takes ${inputs} input only`] : []),
    `# <<< ${MARK}`,
    "",
  ].join("\n");
}

const BLOCK = new RegExp(`\\n?# >>> ${MARK}:[^]*?# <<< ${MARK}\\n?`);

/** CMakeLists.txt with the block at its end (the block replaced when it is there). */
export function patchCmake(text: string, layout: FirmwareLayout, inputs: ServiceInputs = "both"): string {
  const body = text.replace(BLOCK, "\n").replace(/\n*$/, "\n");
  return `${body}\n${cmakeBlock(layout, inputs)}`;
}

const INCLUDE = `#include "bnn_service.h" // ${MARK}: bnn_classifier_init()`;

/** main.c with the service's include and init call (unchanged when both are there). */
export function patchMain(text: string): string {
  let out = text;
  if (!out.includes('#include "bnn_service.h"')) {
    const includes = [...out.matchAll(/^#include[^\n]*$/gm)];
    const at = includes.length ? includes[includes.length - 1].index + includes[includes.length - 1][0].length : 0;
    out = `${out.slice(0, at)}${at ? "\n" : ""}${INCLUDE}${at ? "" : "\n"}${out.slice(at)}`;
  }
  if (!/^\s*bnn_classifier_init\(\);/m.test(out)) {
    out = out.replace(INIT_ANCHOR, (line, indent: string) => `${line}\n${indent}bnn_classifier_init(); // ${MARK}: the BNN classifier service`);
  }
  return out;
}

export interface PlanOptions {
  model: string;
  modelId: string;
  inputs: ServiceInputs;
  /** Replace files of the user's in bnn/ that have the names of ours. */
  force?: boolean;
}

/** The changes that make `layout`'s tree build the service with `sources`; [] when it already does. */
export function planChanges(layout: FirmwareLayout, sources: FirmwareSource[], opts: PlanOptions): Change[] {
  const rel = (...p: string[]) => [layout.app, ...p].join("/");
  const abs = (p: string) => join(layout.dir, p);
  const manifestPath = rel("bnn", MANIFEST);
  const old = readManifest(abs(manifestPath));
  const changes: Change[] = [];
  const conflicts: string[] = [];
  for (const s of sources) {
    const p = rel("bnn", s.name);
    if (!existsSync(abs(p))) {
      changes.push({ path: p, action: "create", text: s.text, why: `${opts.model}` });
      continue;
    }
    const now = readFileSync(abs(p), "utf8");
    if (now === s.text) continue;
    const ours = old?.files[s.name] === sha256(now);
    if (!ours && !opts.force) conflicts.push(p);
    changes.push({ path: p, action: "update", text: s.text, why: ours ? `was ${old?.model ?? "another model"}'s` : "replaces a file of yours (--force)" });
  }
  if (conflicts.length)
    throw new UserError(
      `${conflicts.join(", ")} ${conflicts.length === 1 ? "exists and is" : "exist and are"} not what bnn firmware wrote there: pass --force to replace, or move ${conflicts.length === 1 ? "it" : "them"} away`,
      ExitCode.WouldOverwrite,
    );
  const names = new Set(sources.map((s) => s.name));
  for (const [name, hash] of Object.entries(old?.files ?? {})) {
    const p = rel("bnn", name);
    if (names.has(name) || !existsSync(abs(p))) continue;
    // ours and unchanged since: removed; edited by the user since: left where it is
    if (sha256(readFileSync(abs(p), "utf8")) === hash) changes.push({ path: p, action: "delete", why: "no longer part of the service" });
  }
  const manifest: Manifest = {
    generatedBy: "bnn firmware",
    model: opts.model,
    modelId: opts.modelId,
    inputs: opts.inputs,
    files: Object.fromEntries(sources.map((s) => [s.name, sha256(s.text)])),
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  if (!existsSync(abs(manifestPath)) || readFileSync(abs(manifestPath), "utf8") !== manifestText)
    changes.push({
      path: manifestPath,
      action: existsSync(abs(manifestPath)) ? "update" : "create",
      text: manifestText,
      why: `model ${opts.model} (${opts.modelId})`,
    });
  for (const [file, patch, why] of [
    [
      "CMakeLists.txt",
      (t: string) => patchCmake(t, layout, opts.inputs),
      `adds bnn/*.c and bnn/ to the build${opts.inputs === "both" ? "" : `, ${opts.inputs} input only`}`,
    ],
    ["main.c", patchMain, "calls bnn_classifier_init() in app_init_services()"],
  ] as const) {
    const p = rel(file);
    const now = readFileSync(abs(p), "utf8");
    const next = patch(now);
    if (next !== now) changes.push({ path: p, action: "update", text: next, why });
  }
  return changes;
}

/** Writes a plan's changes. */
export function applyChanges(dir: string, changes: Change[]): void {
  for (const c of changes) {
    const p = join(dir, c.path);
    if (c.action === "delete") rmSync(p, { force: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, c.text ?? "");
    }
  }
}
