/**
 * `bnn firmware`'s work: from a model and a board to one flashable file. With a firmware
 * checkout: copy the service and the model's C into it and patch its build (patch.ts), build it
 * (build.ts), then bundle the program with the image (devs/bundle.ts) and report what the file
 * holds. With an image instead (`--image`, a firmware built elsewhere), only the bundling.
 * Everything that can refuse (board, model, layout, tools, files of the user's, the output
 * path) is checked before the first write.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleProgram } from "../devs/bundle.ts";
import { ExitCode, UserError } from "../errors.ts";
import { parseJson } from "../json.ts";
import { modelC } from "../codegen/model-c.ts";
import { outputFile, writeOutput } from "../output.ts";
import { displayPath, ROOT } from "../paths.ts";
import { run } from "../run.ts";
import { buildEsp32, buildPico, type FirmwareBuild } from "./build.ts";
import { detectLayout, type FirmwareLayout } from "./layout.ts";
import { applyChanges, planChanges, type Change } from "./patch.ts";
import { missingForBuild, missingLine } from "./preflight.ts";
import { elfSize, type ElfSize } from "./size.ts";
import { firmwareSources, type ServiceInputs } from "./sources.ts";
import { isUf2 } from "./uf2.ts";

export const BOARDS_DIR = join(ROOT, "boards");

export interface FirmwareOptions {
  board: string;
  model: string;
  program: string;
  /** What the firmware's service takes: a touch-only build leaves the camera's C and buffer out. */
  inputs: ServiceInputs;
  firmwareDir?: string;
  image?: string;
  out?: string;
  dryRun?: boolean;
  patchOnly?: boolean;
  force?: boolean;
  log: (line: string) => void;
}

export interface FirmwareResult {
  board: string;
  arch: string;
  model: string;
  modelId: string;
  program: string;
  inputs: ServiceInputs;
  firmware?: { kind: string; dir: string; commit?: string; changes: { path: string; action: string; why: string }[]; missing: string[] };
  image?: string;
  out?: { path: string; sizeBytes: number };
  /** The linked firmware's static use, from its ELF (size.ts). */
  elf?: { path: string; sizeBytes: ElfSize };
  dryRun: boolean;
}

interface Board {
  id: string;
  archId: string;
}

export function readBoard(id: string): Board {
  const path = join(BOARDS_DIR, `${id}.board.json`);
  if (!/^[\w-]+$/.test(id) || !existsSync(path)) {
    const known = readdirSync(BOARDS_DIR)
      .filter((f) => f.endsWith(".board.json"))
      .map((f) => f.slice(0, -".board.json".length));
    throw new UserError(`no board '${id}' in boards/ (boards: ${known.join(", ")})`, ExitCode.Usage);
  }
  const json = parseJson(readFileSync(path, "utf8"), displayPath(path)) as Partial<Board>;
  if (typeof json.archId !== "string") throw new UserError(`${displayPath(path)} has no archId`);
  return { id, archId: json.archId };
}

const imageType = (arch: string) => (arch === "rp2040" ? ".uf2" : ".bin");

async function commitOf(dir: string): Promise<string | undefined> {
  const r = await run("git", ["-C", dir, "rev-parse", "--short=12", "HEAD"], { allowFail: true, timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout.toString("utf8").trim() : undefined;
}

/** The sidecar report next to an output file; its presence marks the file as bnn firmware's. */
export const reportPath = (out: string) => `${out}.json`;

function ownOutput(out: string): boolean {
  const p = reportPath(out);
  if (!existsSync(p)) return false;
  try {
    return (JSON.parse(readFileSync(p, "utf8")) as { generatedBy?: string }).generatedBy === "bnn firmware";
  } catch {
    return false;
  }
}

function checkLayoutFits(layout: FirmwareLayout, board: Board): void {
  if (!layout.archs.includes(board.archId))
    throw new UserError(
      `board ${board.id} is ${board.archId}; ${displayPath(layout.dir)} is ${layout.kind}, which builds ${layout.archs.join(", ")}`,
      ExitCode.Usage,
    );
}

export async function buildFirmware(o: FirmwareOptions): Promise<FirmwareResult> {
  const board = readBoard(o.board);
  if (!o.firmwareDir === !o.image)
    throw new UserError("give --firmware-dir DIR (build a firmware) or --image FILE (bundle with a firmware you have)", ExitCode.Usage);
  const program = resolve(o.program);
  if (!existsSync(program)) throw new UserError(`--program ${o.program}: no such file`);
  const mc = await modelC(o.model);
  try {
    const result: FirmwareResult = {
      board: board.id,
      arch: board.archId,
      model: mc.model.file.name,
      modelId: mc.model.id,
      program: displayPath(program),
      inputs: o.inputs,
      dryRun: !!o.dryRun,
    };
    const ext = imageType(board.archId);
    const outPath = o.patchOnly ? undefined : (o.out ?? `bnn-${board.id}-${mc.model.file.name}${ext}`);
    if (outPath && !outPath.endsWith(ext)) throw new UserError(`--out ${outPath}: a ${board.archId} image is a ${ext} file`, ExitCode.Usage);
    const out = outPath ? outputFile(outPath, "--out", { force: o.force, mayReplace: ownOutput }) : undefined;
    let image = o.image ? resolve(o.image) : undefined;
    let build: FirmwareBuild | undefined;
    if (image) {
      if (!existsSync(image)) throw new UserError(`--image ${o.image}: no such file`);
      if (!image.endsWith(ext)) throw new UserError(`--image ${o.image}: a ${board.archId} firmware image is a ${ext} file`, ExitCode.Usage);
      if (ext === ".uf2" && !isUf2(readFileSync(image)))
        throw new UserError(`--image ${o.image} is not a UF2 file (512-byte blocks with the UF2 magic numbers)`);
      if (o.patchOnly) throw new UserError("--patch-only needs --firmware-dir", ExitCode.Usage);
    } else {
      const layout = detectLayout(resolve(o.firmwareDir ?? ""));
      checkLayoutFits(layout, board);
      const missing = o.patchOnly ? [] : await missingForBuild(layout);
      const changes: Change[] = planChanges(layout, firmwareSources(mc.dir, o.inputs), {
        model: mc.model.file.name,
        modelId: mc.model.id,
        inputs: o.inputs,
        force: o.force,
      });
      result.firmware = {
        kind: layout.kind,
        dir: displayPath(layout.dir),
        commit: await commitOf(layout.dir),
        changes: changes.map(({ path, action, why }) => ({ path, action, why })),
        missing: missing.map((m) => m.what),
      };
      if (o.dryRun) return result;
      if (missing.length) throw new UserError(missingLine(missing));
      applyChanges(layout.dir, changes);
      if (o.patchOnly) return result;
      build = layout.kind === "devicescript-pico" ? await buildPico(layout, mc.model.id, o.log) : await buildEsp32(layout, board.archId, mc.model.id, o.log);
      image = build.image;
    }
    result.image = displayPath(image);
    if (o.dryRun) return result;
    o.log(`bundle: ${displayPath(program)} and ${board.id}'s settings into ${displayPath(image)}`);
    const bytes = await bundleProgram({ image, board: board.id, program });
    if (out) {
      writeOutput(out, bytes);
      result.out = { path: displayPath(out), sizeBytes: bytes.length };
    }
    if (build) result.elf = { path: displayPath(build.elf), sizeBytes: await elfSize(build.elf) };
    if (out) writeOutput(reportPath(out), `${JSON.stringify({ generatedBy: "bnn firmware", ...result }, null, 2)}\n`);
    return result;
  } finally {
    mc.close();
  }
}
