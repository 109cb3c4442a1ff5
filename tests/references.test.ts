/**
 * Every path of this project that a comment or a document names exists (issue 22: five comments
 * named files that had moved or gone). A scan of the tracked text files for paths that start
 * with one of the project's top-level folders; paths of the firmware repositories
 * (devicescript-pico, devicescript-esp32) that the docs cite are listed below, with where.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../lib/paths.ts";
import { trackedFiles } from "./helpers.ts";

const TOP = ["lib", "cli", "src", "tests", "docs", "firmware-codegen", "devices", "boards", "services", "bench", "bin", "data", "models"];
const PATH = new RegExp(`(?<![\\w./$-])((?:${TOP.join("|")})/[\\w./-]*\\w)(?![\\w{$])`, "g");

/** Paths in the firmware repositories, not in this one. */
const FIRMWARE_REPO_PATHS = new Set([
  "boards/rp2040", // devicescript-pico, where a board's JSON goes (README, deploying)
  "boards/esp32",
  "boards/rp2040/waveshare_rp2040_touch_lcd.board.json",
  "boards/rp2040deviceconfig.schema.json",
  "boards/esp32deviceconfig.schema.json",
  "src/main.c", // devicescript-pico's app_init_services (docs/service.md, the service's C)
  "src/CMakeLists.txt",
  "services/i2cserv.c", // jacdac-c
]);
/** bnn firmware's folder in a devicescript-pico checkout (`src/bnn/`, lib/firmware/patch.ts) and what it holds. */
const FIRMWARE_TREE = /^src\/bnn(\/|$)/;

/** Generated and data files: their paths are checked by the tests of what generates them. */
const SKIP = /^(firmware-codegen\/generated\/|src\/generated\/|data\/)|\.(svg|jsonl|json|wasm|gz|sha256|png|pgm)$/;

it("every project path named in the code and the docs exists", async () => {
  const files = await trackedFiles();
  const missing: string[] = [];
  for (const file of files) {
    if (SKIP.test(file) && file !== "package.json") continue;
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(PATH)) {
      const path = m[1].replace(/\.$/, "");
      if (text.startsWith(".{", m.index + m[0].length)) continue; // bnn_preprocess.{h,c}: both are checked where they are named alone
      if (FIRMWARE_REPO_PATHS.has(path) || FIRMWARE_TREE.test(path) || existsSync(join(ROOT, path))) continue;
      missing.push(`${file} names ${path}`);
    }
  }
  expect(missing).toEqual([]);
});
