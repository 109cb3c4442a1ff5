/**
 * One flashable file from a firmware image and a DeviceScript program: `devs bundle` compiles
 * the program, stores it in the VM's flash area, and writes it and the board's settings into a
 * copy of the image (UF2 for the RP2040, a merged .bin for the ESP32). The CLI would download the
 * stock firmware; bundle-preload.cjs gives it the user's image instead, offline, and moves its
 * fixed devtools ports to free ones so bundling runs beside anything else.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { ROOT } from "../paths.ts";
import { devs } from "./cli.ts";

const PRELOAD = fileURLToPath(new URL("./bundle-preload.cjs", import.meta.url));
/**
 * `devs bundle` takes 5 s on an idle machine and over a minute on a busy one: it is stopped only
 * when it prints nothing for this long (it logs each stage: compile, deploy, patching, writing).
 */
const IDLE_MS = 120_000;

export interface BundleOptions {
  /** The firmware image: .uf2 or .bin. */
  image: string;
  /** A board id of boards/ (its settings are patched in). */
  board: string;
  /** The program, e.g. src/main.ts. */
  program: string;
}

/** The bundled image's bytes. */
export async function bundleProgram(o: BundleOptions): Promise<Uint8Array> {
  const scratch = mkdtempSync(join(tmpdir(), "bnn-bundle-"));
  try {
    const out = join(scratch, `bundle${o.image.slice(o.image.lastIndexOf("."))}`);
    const env = { BNN_FW_IMAGE: o.image, BNN_FW_SCRATCH: scratch };
    const r = await devs(["bundle", "--board", o.board, "--flash-file", out, o.program], { cwd: ROOT, preload: [PRELOAD], env, timeoutMs: 0, idleMs: IDLE_MS });
    if (r.code !== 0) {
      const why =
        r.output
          .split("\n")
          .filter((l) => /error|fatal|cannot|can't|unknown|not a/i.test(l))
          .slice(-1)[0] ?? r.output.trim().split("\n").slice(-1)[0];
      throw new UserError(`devs bundle failed: ${why?.trim() ?? "no output"}`);
    }
    return readFileSync(out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
