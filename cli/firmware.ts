/** `bnn firmware`: a model and a board to one flashable file (firmware with the classifier service + the program). */
import { existsSync } from "node:fs";
import { defineCommand } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { programEntry } from "../lib/export/entry.ts";
import { buildFirmware, type FirmwareResult } from "../lib/firmware/firmware.ts";
import { SERVICE_INPUTS, type ServiceInputs } from "../lib/firmware/sources.ts";
import { displayPath, MODELS_DIR } from "../lib/paths.ts";
import { join } from "node:path";

export const firmwareCommand = defineCommand({
  name: "firmware",
  summary: "build the classifier firmware for a board and bundle the program into one flashable file",
  usage: [
    "With --firmware-dir (a checkout of microsoft/devicescript-pico or devicescript-esp32 with its submodules, and its",
    "toolchain): copies the service and the model's C into <app>/bnn/, patches the build and app_init_services(), builds,",
    "patches the board's settings and bundles the program: a UF2 (RP2040) or a merged .bin (ESP32). A second run changes",
    "nothing; a run for another model replaces only the files bnn firmware wrote. With --image: bundles the program with a",
    "firmware image you have (offline). docs/service.md says what each step does.",
  ].join("\n"),
  options: {
    board: {
      type: "string",
      description: "board id of boards/ (waveshare_rp2040_touch_lcd, m5stack_core2)",
      default: "waveshare_rp2040_touch_lcd",
      metavar: "id",
    },
    model: { type: "string", description: "shipped model name or model.json path", default: "default", metavar: "name|path" },
    inputs: {
      type: "string",
      description: "what the service takes: touch, camera or both (touch-only leaves the camera's C and 2.5 KB of RAM out)",
      default: "both",
      metavar: "touch|camera|both",
    },
    firmwareDir: { type: "string", description: "firmware checkout to patch and build", metavar: "dir" },
    image: { type: "string", description: "bundle with this firmware image instead of building one (.uf2, .bin)", metavar: "file" },
    program: { type: "string", description: "the DeviceScript program (default: src/main.ts, or the shipped model's entry)", metavar: "file.ts" },
    out: { type: "string", description: "the flashable file (default: bnn-<board>-<model>.uf2|.bin here)", metavar: "file" },
    dryRun: { type: "boolean", description: "show what would change in the checkout and what is missing; write nothing" },
    patchOnly: { type: "boolean", description: "copy and patch the sources only; build yourself" },
    force: { type: "boolean", description: "replace files of yours in <app>/bnn/ and an --out file bnn firmware did not write" },
    json: { type: "boolean", description: "print the result as JSON (docs/json.md)" },
  },
  async run(o) {
    if (!(SERVICE_INPUTS as readonly string[]).includes(o.inputs)) throw new UserError(`--inputs ${o.inputs}: give touch, camera or both`, ExitCode.Usage);
    const program = o.program ?? shippedEntry(o.model);
    const log = o.json ? () => {} : (line: string) => console.error(line);
    const r = await buildFirmware({
      board: o.board,
      model: o.model,
      program,
      inputs: o.inputs as ServiceInputs,
      firmwareDir: o.firmwareDir,
      image: o.image,
      out: o.out,
      dryRun: o.dryRun,
      patchOnly: o.patchOnly,
      force: o.force,
      log,
    });
    if (o.json) console.log(JSON.stringify(r));
    else console.log(describe(r));
  },
});

/** The program of a shipped model; a model of the user's needs a program built with its tables. */
function shippedEntry(model: string): string {
  if (/^[a-z][\w-]*$/.test(model) && !existsSync(model) && existsSync(join(MODELS_DIR, model, "model.json"))) return displayPath(programEntry(model));
  throw new UserError(`--model ${model} is not a shipped model: give --program, a program built with its tables (bnn export)`, ExitCode.Usage);
}

function describe(r: FirmwareResult): string {
  const lines: string[] = [];
  const n = (x: number) => x.toLocaleString("en-US");
  if (r.firmware) {
    const f = r.firmware;
    lines.push(`firmware  ${f.kind} ${f.commit ?? "(not a git checkout)"} at ${f.dir}`);
    if (!f.changes.length) lines.push("          no change: it already builds the service with this model");
    for (const c of f.changes) lines.push(`          ${r.dryRun ? `would ${c.action}` : `${c.action}d`} ${c.path}  (${c.why})`);
    if (r.dryRun)
      lines.push(f.missing.length ? `          a build would need: ${f.missing.join(", ")}` : "          a build has the tools and submodules it needs");
  }
  lines.push(`model     ${r.model} (${r.modelId}), service inputs: ${r.inputs}`, `board     ${r.board} (${r.arch})`, `program   ${r.program}`);
  if (r.image) lines.push(`image     ${r.image}`);
  if (r.elf) {
    const s = r.elf.sizeBytes;
    lines.push(`used      flash ${n(s.flash)} B, static RAM ${n(s.ram)} B (${r.elf.path})`);
  }
  if (r.out) lines.push(`wrote     ${r.out.path} (${n(r.out.sizeBytes)} bytes) and ${r.out.path}.json`);
  return lines.join("\n");
}
