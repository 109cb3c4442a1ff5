/**
 * `bnn firmware` (issue 23) on what CI has: firmware trees of the two shapes it knows (the files
 * it edits, written here in the layout of devicescript-pico's src/ and devicescript-esp32's
 * main/, none of their code), and a firmware image of our own bytes to bundle the program with.
 * The real build needs the firmware's submodules and is checked by hand (docs/service.md).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { detectLayout } from "../lib/firmware/layout.ts";
import { patchCmake, patchMain, MANIFEST } from "../lib/firmware/patch.ts";
import { elfSize, segmentSize } from "../lib/firmware/size.ts";
import { firmwareSources } from "../lib/firmware/sources.ts";
import { readUf2, uf2Bytes, writeUf2 } from "../lib/firmware/uf2.ts";
import { generatedDir } from "../lib/paths.ts";
import { run } from "../lib/run.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";

const work = scratchDir("firmware");
const p = (...names: string[]) => join(work, ...names);

const PICO_MAIN = `#include "jdpico.h"

void app_init_services(void) {
    devs_service_full_init();

    uart_log_sync_pin();
}
`;
const PICO_CMAKE = `file(GLOB RUNNER_FILES *.c)

add_executable(devsrunner
        \${RUNNER_FILES}
        \${CMAKE_BINARY_DIR}/version.c
)
`;
const ESP_MAIN = `#include "jdesp.h"

void app_init_services(void) {
    devs_service_full_init();

    if (i2c_init() == 0) {
        jd_scan_all();
    }
}
`;
const ESP_CMAKE = `file(GLOB MAIN_FILES
  *.c
)

idf_component_register(
  SRCS
    "../build/version.c"
    \${MAIN_FILES}

  INCLUDE_DIRS
    "."
)
`;

function tree(name: string, kind: "pico" | "esp32"): string {
  const dir = p(name);
  const app = join(dir, kind === "pico" ? "src" : "main");
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "main.c"), kind === "pico" ? PICO_MAIN : ESP_MAIN);
  writeFileSync(join(app, "CMakeLists.txt"), kind === "pico" ? PICO_CMAKE : ESP_CMAKE);
  return dir;
}

/** Every file under dir -> its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const f = join(d, n);
      if (statSync(f).isDirectory()) walk(f);
      else out[relative(dir, f)] = readFileSync(f, "utf8");
    }
  };
  walk(dir);
  return out;
}

const firmware = (dir: string, ...args: string[]) => bnn(["firmware", "--firmware-dir", dir, ...args]);

describe("patching a firmware checkout", () => {
  it("knows the two layouts, and the edits are idempotent on their own", () => {
    expect(detectLayout(tree("shape-pico", "pico")).kind).toBe("devicescript-pico");
    expect(detectLayout(tree("shape-esp", "esp32")).kind).toBe("devicescript-esp32");
    const layout = detectLayout(p("shape-pico"));
    const once = patchMain(PICO_MAIN);
    expect(once).toContain('#include "bnn_service.h"');
    expect(once).toMatch(/devs_service_full_init\(\);\n {4}bnn_classifier_init\(\);/);
    expect(patchMain(once)).toBe(once);
    const cmake = patchCmake(PICO_CMAKE, layout);
    expect(cmake.startsWith(PICO_CMAKE)).toBe(true);
    expect(cmake).toContain("target_sources(devsrunner PRIVATE ${BNN_FILES})");
    expect(patchCmake(cmake, layout)).toBe(cmake);
    expect(patchCmake(PICO_CMAKE, detectLayout(p("shape-esp")))).toContain("target_sources(${COMPONENT_LIB} PRIVATE ${BNN_FILES})");
  });

  it("--dry-run names every change and writes nothing", async () => {
    const dir = tree("dry", "pico");
    const before = snapshot(dir);
    const r = await firmware(dir, "--dry-run", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { firmware: { changes: { path: string; action: string }[]; missing: string[] } };
    const sources = firmwareSources(generatedDir("default")).map((s) => `src/bnn/${s.name}`);
    expect(out.firmware.changes.map((c) => c.path).sort()).toEqual([...sources, `src/bnn/${MANIFEST}`, "src/CMakeLists.txt", "src/main.c"].sort());
    expect(out.firmware.missing).toContain("pico-sdk/pico_sdk_init.cmake");
    expect(snapshot(dir)).toEqual(before);
  });

  it("patches both layouts; a second run changes nothing", async () => {
    for (const [name, kind, app] of [
      ["twice-pico", "pico", "src"],
      ["twice-esp", "esp32", "main"],
    ] as const) {
      const dir = tree(name, kind);
      const board = kind === "pico" ? "waveshare_rp2040_touch_lcd" : "m5stack_core2";
      const first = await firmware(dir, "--board", board, "--patch-only");
      expect(first.code, first.stderr).toBe(0);
      const after = snapshot(dir);
      expect(after[`${app}/bnn/bnn_model.c`]).toBe(readFileSync(join(generatedDir("default"), "bnn_model.c"), "utf8"));
      expect(after[`${app}/main.c`]).toContain("bnn_classifier_init();");
      const second = await firmware(dir, "--board", board, "--patch-only");
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/no change/);
      expect(snapshot(dir)).toEqual(after);
    }
  });

  it("another model replaces only the files bnn firmware wrote", async () => {
    const dir = tree("models", "pico");
    expect((await firmware(dir, "--patch-only")).code).toBe(0);
    writeFileSync(join(dir, "src", "bnn", "notes.txt"), "mine\n");
    const before = snapshot(dir);
    const r = await firmware(dir, "--patch-only", "--model", "cnn", "--json");
    expect(r.code, r.stderr).toBe(0);
    const changed = (JSON.parse(r.stdout) as { firmware: { changes: { path: string }[] } }).firmware.changes.map((c) => c.path).sort();
    expect(changed).toEqual([`src/bnn/${MANIFEST}`, "src/bnn/bnn_model.c", "src/bnn/bnn_model.h"]);
    const after = snapshot(dir);
    expect(after["src/bnn/bnn_model.c"]).toBe(readFileSync(join(generatedDir("cnn"), "bnn_model.c"), "utf8"));
    expect(after["src/bnn/notes.txt"]).toBe("mine\n");
    for (const f of Object.keys(before).filter((f) => !changed.includes(f))) expect(after[f], f).toBe(before[f]);
  });

  it("a touch-only build leaves the camera's C out and tells the service so; back to both puts it in", async () => {
    const dir = tree("inputs", "pico");
    expect((await firmware(dir, "--patch-only")).code).toBe(0);
    const r = await firmware(dir, "--patch-only", "--inputs", "touch", "--json");
    expect(r.code, r.stderr).toBe(0);
    const changes = (JSON.parse(r.stdout) as { firmware: { changes: { path: string; action: string }[] } }).firmware.changes;
    const deleted = changes.filter((c) => c.action === "delete").map((c) => c.path);
    expect(deleted.length).toBeGreaterThan(1);
    expect(deleted.every((p) => p.startsWith("src/bnn/bnn_preprocess"))).toBe(true);
    const after = snapshot(dir);
    expect(Object.keys(after).filter((f) => f.includes("bnn_preprocess"))).toEqual([]);
    expect(Object.keys(after).some((f) => f.startsWith("src/bnn/bnn_raster"))).toBe(true);
    expect(after["src/CMakeLists.txt"]).toContain("target_compile_definitions(devsrunner PRIVATE BNN_SERVICE_STROKES=1 BNN_SERVICE_FRAMES=0)");
    expect((await firmware(dir, "--patch-only")).code).toBe(0);
    const both = snapshot(dir);
    expect(Object.keys(both).filter((f) => f.includes("bnn_preprocess")).length).toBe(deleted.length);
    expect(both["src/CMakeLists.txt"]).not.toContain("BNN_SERVICE_FRAMES");
    expectOneLineError(await firmware(dir, "--patch-only", "--inputs", "pen"), 2, /--inputs pen: give touch, camera or both/);
  });

  it("refuses to replace a file of the user's without --force, and changes nothing", async () => {
    const dir = tree("users", "pico");
    expect((await firmware(dir, "--patch-only")).code).toBe(0);
    writeFileSync(join(dir, "src", "bnn", "bnn_model.c"), "/* my own edit */\n");
    const before = snapshot(dir);
    expectOneLineError(
      await firmware(dir, "--patch-only", "--model", "cnn"),
      4,
      /src\/bnn\/bnn_model\.c exists and is not what bnn firmware wrote there: pass --force/,
    );
    expect(snapshot(dir)).toEqual(before);
    expect((await firmware(dir, "--patch-only", "--model", "cnn", "--force")).code).toBe(0);
    expect(readFileSync(join(dir, "src", "bnn", "bnn_model.c"), "utf8")).toBe(readFileSync(join(generatedDir("cnn"), "bnn_model.c"), "utf8"));
  });

  it("refuses an unknown layout, a board of another chip, a missing init call and a build without submodules, before any change", async () => {
    mkdirSync(p("empty"));
    expectOneLineError(await firmware(p("empty"), "--patch-only"), 3, /is not a devicescript-pico or devicescript-esp32 checkout/);
    const pico = tree("refusals", "pico");
    const before = snapshot(pico);
    expectOneLineError(
      await firmware(pico, "--board", "m5stack_core2", "--patch-only"),
      2,
      /board m5stack_core2 is esp32; .* is devicescript-pico, which builds rp2040/,
    );
    expectOneLineError(await firmware(pico), 3, /cannot build: missing .*pico-sdk\/pico_sdk_init\.cmake.* — .*git submodule update --init/);
    expect(snapshot(pico)).toEqual(before);
    const noInit = tree("no-init", "pico");
    writeFileSync(join(noInit, "src", "main.c"), "void app_init_services(void) {\n}\n");
    expectOneLineError(await firmware(noInit, "--patch-only"), 3, /does not call devs_service_full_init\(\)/);
    expectOneLineError(
      await bnn(["firmware", "--firmware-dir", pico, "--board", "nope"]),
      2,
      /no board 'nope' in boards\/ \(boards: .*waveshare_rp2040_touch_lcd/,
    );
    expectOneLineError(await bnn(["firmware"]), 2, /give --firmware-dir DIR .* or --image FILE/);
  });
});

describe("bundling the program with a firmware image", () => {
  const RP2040_FLASH = 0x10000000;
  // the image's bytes: ours, not a firmware; devs only needs the flash areas it writes to be free
  const firmwareBytes = Uint8Array.from({ length: 48 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

  beforeAll(() => {
    writeFileSync(p("image.uf2"), writeUf2(RP2040_FLASH, firmwareBytes));
  });

  it("writes one UF2 with the firmware, the board's settings and the program, and a report of what it holds", async () => {
    const out = p("bundle.uf2");
    const r = await bnn(["firmware", "--image", p("image.uf2"), "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { board: string; model: string; modelId: string; program: string; out: { path: string; sizeBytes: number } };
    expect(report).toMatchObject({ board: "waveshare_rp2040_touch_lcd", model: "default", program: "src/main.ts" });
    const bytes = readFileSync(out);
    expect(report.out.sizeBytes).toBe(bytes.length);
    const blocks = readUf2(bytes);
    // the firmware's own bytes are kept as they were
    expect(Uint8Array.from(uf2Bytes(blocks, RP2040_FLASH, firmwareBytes.length).map((b) => b ?? -1))).toEqual(firmwareBytes);
    // the board's settings (DCFG) and the program in the VM's flash area (FSTR), at the RP2040's offsets
    const text = (at: number, n: number) => Buffer.from(uf2Bytes(blocks, at, n).map((b) => b ?? 0)).toString("latin1");
    expect(text(0x100dc000, 4)).toBe("DCFG");
    expect(text(0x100dc000, 4096)).toContain("waveshare_rp2040_touch_lcd");
    expect(text(0x100e0000, 4)).toBe("FSTR");
    expect(JSON.parse(readFileSync(`${out}.json`, "utf8"))).toMatchObject({ generatedBy: "bnn firmware", modelId: report.modelId });
    // its own output again: replaced without --force; a file of the user's is not
    expect((await bnn(["firmware", "--image", p("image.uf2"), "--out", out])).code).toBe(0);
    writeFileSync(p("mine.uf2"), "mine");
    expectOneLineError(await bnn(["firmware", "--image", p("image.uf2"), "--out", p("mine.uf2")]), 4, /mine\.uf2 exists; pass --force/);
    expect(readFileSync(p("mine.uf2"), "utf8")).toBe("mine");
  });

  it("refuses an image of the wrong kind and a model of the user's without its program", async () => {
    writeFileSync(p("image.bin"), firmwareBytes);
    expectOneLineError(await bnn(["firmware", "--image", p("image.bin")]), 2, /a rp2040 firmware image is a \.uf2 file/);
    expectOneLineError(await bnn(["firmware", "--image", p("image.uf2"), "--model", p("nope.json")]), 2, /is not a shipped model: give --program/);
  });
});

describe("the size report", () => {
  it("reads flash and RAM from a linked ELF's segments", async () => {
    const src = p("size.c");
    writeFileSync(
      src,
      "const unsigned char table[3000] = {1};\nunsigned char buffer[5000];\nint counter = 7;\nint main(void) { buffer[counter] = table[counter]; return buffer[1]; }\nvoid _start(void) { main(); for (;;) {} }\n",
    );
    const elf = p("size.elf");
    await run("arm-none-eabi-gcc", ["-mcpu=cortex-m0plus", "-mthumb", "-Os", "-nostdlib", "-o", elf, src]);
    const s = await elfSize(elf);
    // the table and code in flash with counter's initial value; counter and buffer in RAM
    expect(s.flash).toBeGreaterThanOrEqual(3000 + 4);
    expect(s.flash).toBeLessThan(3000 + 4 + 512);
    expect(s.ram).toBeGreaterThanOrEqual(5000 + 4);
    expect(s.ram).toBeLessThan(5000 + 4 + 64);
  });

  it("counts the RP2040's RAM code and .bss as RAM, whatever the segments' flags say", () => {
    // the program headers of devicescript-pico fe4a4e8 with the service (issue 23's build): the
    // flash segment is flagged writable, .data (code run from RAM) is loaded from flash, .bss is zeroed
    const segments = [
      { vaddr: 0x10000000, paddr: 0x10000000, fileSize: 223404, memSize: 223404 },
      { vaddr: 0x200000c0, paddr: 0x100368ac, fileSize: 7596, memSize: 7596 },
      { vaddr: 0x20001e70, paddr: 0x20001e70, fileSize: 0, memSize: 19084 },
    ];
    expect(segmentSize(segments)).toEqual({ flash: 231000, ram: 26680 });
  });
});
