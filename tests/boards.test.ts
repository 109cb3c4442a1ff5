/**
 * DeviceScript board definitions, `boards/*.board.json`.
 *
 * No JSON schema for board files ships in node_modules, and no JSON-schema validator either: the
 * schemas live in the firmware repos (microsoft/devicescript-pico boards/rp2040deviceconfig.schema.json,
 * microsoft/devicescript-esp32 boards/esp32deviceconfig.schema.json, generated from
 * microsoft/devicescript interop/src/archconfig.ts and jacdac-c dcfg/srvcfg.d.ts). So every board
 * goes through three checks:
 *
 * 1. DeviceScript itself, twice, from the installed CLI (@devicescript/cli), offline, in a
 *    scratch project (it writes lib files under its project's node_modules/, so never here):
 *    - `devs build` compiles a project's `boards/*.board.json` (compileBoards/validateBoard in the
 *      CLI: id = file name, known archId, productId 0x3xxxxxxx, no id clash with a built-in
 *      board, every pin has a function on that chip and is used once, no flash/PSRAM/USB pins)
 *      and turns each into an `@dsboard/<id>` module; a probe program imports every board and
 *      uses every pin label. `devs build` has no --board option: a program selects a board
 *      by importing `@dsboard/<id>`, and `devs flash --board <id>` selects it for flashing.
 *    - `devs flash --board <id> --remote` patches the board's settings (DCFG) into the stock
 *      firmware image, exactly as a real flash does (jsonToDcfg, key-size limits, devName and
 *      productId required). The stock image is a stand-in placed in the CLI's download cache,
 *      and `fetch` is disabled, so nothing is downloaded and no device is needed.
 *    Negative controls (broken copies of the real boards) show both paths reject bad boards.
 * 2. The fields and types of the upstream schema (below, transcribed), which `devs build` does
 *    not check (it accepts unknown keys, a string baud, a missing devName).
 * 3. This project's own rules: log at 115200 baud, I2C pins present, RP2040/ESP32 arch ids,
 *    unique ids and productIds, `$schema` the same as DeviceScript's built-in boards use.
 * Facts taken from the CLI (arch ids, stock image names, `$schema` URLs, built-in productIds)
 * are read from its bundle, so a DeviceScript upgrade that changes them fails here.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEVS_BUNDLE, devs as runDevs } from "../lib/devs/cli.ts";
import { ROOT } from "../lib/paths.ts";
import { DEVICE_CONFIG_SCHEMA, validate, type Json } from "./support/device-config-schema.ts";

const BOARDS_DIR = join(ROOT, "boards");

type Board = { [k: string]: Json } & { id: string; archId: string; devName: string; productId: string };

const boardFiles = readdirSync(BOARDS_DIR)
  .filter((f) => f.endsWith(".board.json"))
  .sort();
const boards = new Map<string, Board>(boardFiles.map((f) => [f, JSON.parse(readFileSync(join(BOARDS_DIR, f), "utf8")) as Board]));

// ---------------------------------------------------------------------------------------------
// What the installed DeviceScript CLI knows (its built-in arch and board tables).

const bundle = readFileSync(DEVS_BUNDLE, "utf8");
/** Arch id -> stock ("bare") firmware URL, e.g. rp2040 -> .../devicescript-rp2040-pico.uf2. */
const ARCHS = new Map<string, string>();
for (const m of bundle.matchAll(/archconfig\.schema\.json",\s*bareUrl: "([^"]+)",[^}]*?\bid: "(\w+)"/g)) ARCHS.set(m[2], m[1]);
/** Arch family (rp2040, esp32) -> the `$schema` DeviceScript's built-in boards use. */
const SCHEMAS = new Map<string, string>();
for (const m of bundle.matchAll(
  /\$schema: "(https:\/\/raw\.githubusercontent\.com\/microsoft\/devicescript-(pico|esp32)\/main\/boards\/\w+deviceconfig\.schema\.json)"/g,
)) {
  SCHEMAS.set(m[2] === "pico" ? "rp2040" : "esp32", m[1]);
}
const BUILTIN_PRODUCT_IDS = new Set([...bundle.matchAll(/productId: "(0x[0-9a-f]+)"/gi)].map((m) => parseInt(m[1], 16)));

/** DeviceScript's architectureFamily(). */
const family = (archId: string) => ["esp32", "rp2040"].find((a) => archId.startsWith(a)) ?? archId;
/** RP2040 and ESP32 families only: the targets of this project. */
const TARGET_ARCHS = ["rp2040", "rp2040w", "esp32", "esp32c3", "esp32s2", "esp32s3"];
/**
 * Where the stock firmware sends the DMESG log (log.pinTX), from the firmware sources:
 * devicescript-pico src (uart_log_init: a UART TX pin, GPIO number divisible by 4);
 * devicescript-esp32 main/dmesg.c (LOGGING_TX_PIN: 43 on S2/S3, 21 on C3, none on the classic ESP32).
 */
function logPinProblem(archId: string, pin: number): string | undefined {
  if (family(archId) === "rp2040") return (pin & 3) === 0 ? undefined : `log.pinTX ${pin} is not a UART TX pin (devicescript-pico needs pin % 4 == 0)`;
  const only: Record<string, number> = { esp32s2: 43, esp32s3: 43, esp32c3: 21 };
  if (only[archId] !== undefined && pin !== only[archId]) return `log.pinTX ${pin}: the ${archId} firmware logs on GPIO${only[archId]} only`;
  return undefined;
}

/** The project's rules on top of the schema. `fileName` is the board file's name. */
function projectRules(fileName: string, b: Board): string[] {
  const errors: string[] = [];
  for (const k of ["$schema", "$description", "id", "archId", "url", "log", "i2c"]) if (!(k in b)) errors.push(`missing "${k}"`);
  const fileId = basename(fileName, ".board.json");
  if (b.id !== fileId) errors.push(`id "${b.id}" is not the file name "${fileId}"`);
  const pid = typeof b.productId === "string" && /^0x[0-9a-f]{8}$/i.test(b.productId) ? parseInt(b.productId, 16) : NaN;
  if (!Number.isInteger(pid) || (pid & 0xf0000000) >>> 0 !== 0x30000000) errors.push(`productId ${JSON.stringify(b.productId)} is not a 0x3xxxxxxx hex string`);
  else if (BUILTIN_PRODUCT_IDS.has(pid)) errors.push(`productId ${b.productId} is a built-in DeviceScript board's`);
  if (!TARGET_ARCHS.includes(b.archId)) errors.push(`archId "${b.archId}" is not an RP2040 or ESP32 arch (${TARGET_ARCHS.join(", ")})`);
  else if (!ARCHS.has(b.archId)) errors.push(`archId "${b.archId}" is unknown to the installed DeviceScript CLI`);
  else if (b.$schema !== SCHEMAS.get(family(b.archId))) errors.push(`$schema should be ${SCHEMAS.get(family(b.archId))}`);
  if (typeof b.$description !== "string" || !/https?:\/\//.test(b.$description)) errors.push("$description must say where the pins come from (a link)");
  const log = b.log as { pinTX?: Json; baud?: Json } | undefined;
  if (log?.baud !== 115200) errors.push(`log.baud is ${JSON.stringify(log?.baud)}, the result stream runs at 115200`);
  if (typeof log?.pinTX === "number") {
    const p = logPinProblem(b.archId, log.pinTX);
    if (p) errors.push(p);
  }
  const i2c = b.i2c as { pinSDA?: Json; pinSCL?: Json } | undefined;
  if (typeof i2c?.pinSDA !== "number" || typeof i2c?.pinSCL !== "number") errors.push("i2c.pinSDA and i2c.pinSCL must be set (the touch controller's bus)");
  else if (i2c.pinSDA === i2c.pinSCL) errors.push("i2c.pinSDA and i2c.pinSCL are the same pin");
  for (const label of Object.keys((b.pins as object) ?? {})) {
    if (label.startsWith("#")) continue;
    // a TypeScript identifier for `pins.LABEL`, and "pins." + label within DCFG's 15-character key limit
    if (!/^[A-Za-z_]\w*$/.test(label) || label.length > 10) errors.push(`pin label "${label}" must be an identifier of at most 10 characters`);
  }
  return errors;
}

const pinLabels = (b: Board) => Object.entries((b.pins as Record<string, number>) ?? {}).filter(([k]) => !k.startsWith("#"));

// ---------------------------------------------------------------------------------------------
// Running the DeviceScript CLI in a scratch project, offline.

const scratch = mkdtempSync(join(tmpdir(), "bnn-boards-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const NO_NET = join(scratch, "no-network.cjs");
writeFileSync(NO_NET, 'globalThis.fetch = async (url) => { throw new Error("network disabled by tests/boards.test.ts: " + url); };\n');

let projects = 0;
/** A DeviceScript project with these board files (name -> content) and src/main.ts. */
function project(files: Record<string, string>, main = 'console.log("boards")\n'): string {
  const dir = join(scratch, `p${projects++}`);
  mkdirSync(join(dir, "boards"), { recursive: true });
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "devsconfig.json"), "{}\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "boards-probe", version: "0.0.0", private: true }) + "\n");
  writeFileSync(join(dir, "src", "main.ts"), main);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "boards", name), text);
  return dir;
}

async function devs(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await runDevs(["--no-colors", "--ci", ...args], { cwd, preload: [NO_NET], timeoutMs: 180_000 });
  return { code: r.code, out: r.output };
}

const realFiles = () => Object.fromEntries(boardFiles.map((f) => [f, readFileSync(join(BOARDS_DIR, f), "utf8")]));
const mutate = (file: string, change: (b: Board) => void) => {
  const b = structuredClone(boards.get(file)!);
  change(b);
  return JSON.stringify(b, null, 4);
};
const fileOfArch = (fam: string) => boardFiles.find((f) => family(boards.get(f)!.archId) === fam)!;

/** A stand-in for the stock firmware image: one empty UF2 block, or a blank BIN. */
function fakeStockImage(name: string): Buffer {
  if (!name.endsWith(".uf2")) return Buffer.alloc(4096, 0xff);
  const b = Buffer.alloc(512);
  [0x0a324655, 0x9e5d5157, 0x2000, 0x10000000, 256, 0, 1, 0xe48bff56].forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  b.writeUInt32LE(0x0ab16f30, 508);
  return b;
}

/** The bytes a UF2 file writes to flash (payloads in address order), or a BIN as is. */
function flashBytes(file: Buffer, isUf2: boolean): Buffer {
  if (!isUf2) return file;
  const blocks: { addr: number; data: Buffer }[] = [];
  for (let o = 0; o + 512 <= file.length; o += 512) {
    expect(file.readUInt32LE(o)).toBe(0x0a324655);
    blocks.push({ addr: file.readUInt32LE(o + 12), data: file.subarray(o + 32, o + 32 + file.readUInt32LE(o + 16)) });
  }
  return Buffer.concat(blocks.sort((a, b) => a.addr - b.addr).map((b) => b.data));
}

// ---------------------------------------------------------------------------------------------

describe("board files", () => {
  it("exist: an RP2040 board and an ESP32-family board", () => {
    expect(boardFiles).toContain("waveshare_rp2040_touch_lcd.board.json");
    expect(boardFiles.some((f) => family(boards.get(f)!.archId) === "esp32")).toBe(true);
  });

  it("the facts read from the DeviceScript CLI were found", () => {
    for (const a of TARGET_ARCHS) expect(ARCHS.get(a), a).toMatch(/^https:\/\/.*\.(uf2|bin)$/);
    expect(SCHEMAS.get("rp2040")).toMatch(/rp2040deviceconfig\.schema\.json$/);
    expect(SCHEMAS.get("esp32")).toMatch(/esp32deviceconfig\.schema\.json$/);
    expect(BUILTIN_PRODUCT_IDS.size).toBeGreaterThan(10);
  });

  it.each(boardFiles)("%s: follows the device-config schema", (f) => {
    expect(validate(boards.get(f)!, DEVICE_CONFIG_SCHEMA)).toEqual([]);
  });

  it.each(boardFiles)("%s: follows the project rules (log 115200, I2C pins, arch, ids)", (f) => {
    expect(projectRules(f, boards.get(f)!)).toEqual([]);
  });

  it("ids and productIds are unique, and no GPIO is used twice on a board", () => {
    const all = [...boards.values()];
    expect(new Set(all.map((b) => b.id)).size).toBe(all.length);
    expect(new Set(all.map((b) => parseInt(b.productId, 16))).size).toBe(all.length);
    for (const b of all) {
      const gpios = [
        ...pinLabels(b).map(([, g]) => g),
        (b.log as { pinTX: number }).pinTX,
        (b.i2c as { pinSDA: number }).pinSDA,
        (b.i2c as { pinSCL: number }).pinSCL,
      ];
      expect(new Set(gpios).size, b.id).toBe(gpios.length);
    }
  });

  it("the static checks reject broken boards", () => {
    const f = fileOfArch("rp2040");
    const bad = (change: (b: Board) => void) => {
      const b = structuredClone(boards.get(f)!);
      change(b);
      return [...validate(b, DEVICE_CONFIG_SCHEMA), ...projectRules(f, b)].join("\n");
    };
    expect(bad((b) => ((b.log as { baud: Json }).baud = "fast"))).toMatch(/\$\.log\.baud: string, expected integer/);
    expect(bad((b) => ((b.log as { baud: Json }).baud = 9600))).toMatch(/log\.baud is 9600/);
    expect(bad((b) => ((b.log as { pinTX: Json }).pinTX = 1))).toMatch(/not a UART TX pin/);
    expect(bad((b) => delete b.i2c)).toMatch(/missing "i2c"/);
    expect(bad((b) => delete (b.i2c as { pinSCL?: Json }).pinSCL)).toMatch(/\$\.i2c: missing required "pinSCL"/);
    expect(bad((b) => delete (b as { devName?: Json }).devName)).toMatch(/missing required "devName"/);
    expect(bad((b) => (b.bogus = 1))).toMatch(/unknown property "bogus"/);
    expect(bad((b) => (b.archId = "nrf52"))).toMatch(/not an RP2040 or ESP32 arch/);
    expect(bad((b) => (b.productId = "0x2f6c79ee"))).toMatch(/not a 0x3xxxxxxx/);
    expect(bad((b) => (b.id = "other"))).toMatch(/not the file name/);
    expect(bad((b) => ((b.pins as Record<string, Json>).VERY_LONG_NAME = 2))).toMatch(/at most 10 characters/);
  });
});

describe("DeviceScript accepts the boards", () => {
  it("devs build compiles every board into an @dsboard module with the pins as written", async () => {
    const imports = [...boards.values()].map((b, i) => `import { pins as b${i} } from "@dsboard/${b.id}"`);
    const uses = [...boards.values()].flatMap((b, i) => pinLabels(b).map(([label]) => `b${i}.${label}`));
    const main = `${imports.join("\n")}\nconst used = [${uses.join(", ")}]\nconsole.log(\`\${used.length} pins\`)\n`;
    const dir = project(realFiles(), main);
    const r = await devs(dir, ["build", "-v"]);
    expect(r.out).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const dts = readFileSync(join(dir, "node_modules", "@devicescript", "core", "src", "devicescript-boards.d.ts"), "utf8");
    for (const b of boards.values()) {
      expect(r.out).toContain(`custom board: ${b.id}`);
      // the CLI's own reading of the I2C and log pins
      const i2c = b.i2c as { pinSDA: number; pinSCL: number };
      expect(r.out).toContain(`i2c.pinSDA: GPIO${i2c.pinSDA}, i2c.pinSDA`);
      expect(r.out).toContain(`i2c.pinSCL: GPIO${i2c.pinSCL}, i2c.pinSCL`);
      expect(r.out).toContain(`log.pinTX: GPIO${(b.log as { pinTX: number }).pinTX}, log.pinTX`);
      const start = dts.indexOf(`declare module "@dsboard/${b.id}"`);
      expect(start, b.id).toBeGreaterThanOrEqual(0);
      const mod = dts.slice(start, dts.indexOf("\n}\n", start));
      for (const [label, gpio] of pinLabels(b)) expect(mod).toContain(`Pin ${label} (GPIO${gpio},`);
    }
  });

  it("devs build rejects broken boards (negative control)", async () => {
    const rp = fileOfArch("rp2040");
    const esp = fileOfArch("esp32");
    const [clashLabel, clashGpio] = pinLabels(boards.get(esp)!)[0];
    const dir = project({
      "bad_product.board.json": mutate(rp, (b) => {
        b.id = "bad_product";
        b.productId = "0x2f6c79ee";
      }),
      "bad_pin.board.json": mutate(rp, (b) => {
        b.id = "bad_pin";
        (b.log as { pinTX: number }).pinTX = 30;
      }),
      "bad_clash.board.json": mutate(esp, (b) => {
        b.id = "bad_clash";
        (b.i2c as { pinSDA: number }).pinSDA = clashGpio;
      }),
      "bad_flash.board.json": mutate(esp, (b) => {
        b.id = "bad_flash";
        (b.pins as Record<string, number>).FLASH = 6;
      }),
      "bad_id.board.json": mutate(esp, () => {}), // keeps "id": "<the real id>", which is not this file's name
      "pico.board.json": mutate(rp, (b) => {
        delete (b as { id?: string }).id; // the id comes from the file name: a built-in board's
      }),
    });
    const r = await devs(dir, ["build"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/bad_product\.board\.json\(1\): invalid productId 0x2f6c79ee/);
    expect(r.out).toMatch(/bad_pin\.board\.json\(1\): invalid pin: log\.pinTX=30 has no functions/);
    expect(r.out).toMatch(new RegExp(`bad_clash\\.board\\.json\\(1\\): GPIO${clashGpio} marked as both ${clashLabel} and i2c\\.pinSDA`));
    expect(r.out).toMatch(/bad_flash\.board\.json\(1\): FLASH=6 has 'flash' function/);
    expect(r.out).toMatch(/bad_id\.board\.json\(1\): ignoring id: field in favor of filename/);
    expect(r.out).toMatch(/pico\.board\.json\(1\): board pico already defined/);
  });

  it.each(boardFiles)("%s: devs flash --board patches the board's settings into the stock firmware", async (f) => {
    const b = boards.get(f)!;
    const dir = project(realFiles());
    const stock = basename(new URL(ARCHS.get(b.archId)!).pathname);
    mkdirSync(join(dir, ".devicescript", "cache"), { recursive: true });
    writeFileSync(join(dir, ".devicescript", "cache", stock), fakeStockImage(stock));
    const r = await devs(dir, ["flash", "--board", b.id, "--remote"]);
    expect(r.out).not.toMatch(/network disabled|error/i);
    expect(r.code).toBe(0);
    const m = /saved (\.devicescript\/cache\/\S+) \d+ bytes/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(m![1]).toContain(b.id);
    const image = flashBytes(readFileSync(join(dir, m![1])), m![1].endsWith(".uf2"));
    const at = image.indexOf(Buffer.from("DCFG\n\x9b\xb4\xca", "latin1"));
    expect(at, "DCFG header in the patched image").toBeGreaterThanOrEqual(0);
    const dcfg = image.subarray(at, at + 4096).toString("latin1");
    const keys = ["devName", "productId", "archId", "log.pinTX", "log.baud", "i2c.pinSDA", "i2c.pinSCL", ...pinLabels(b).map(([l]) => `pins.${l}`)];
    for (const k of keys) expect(dcfg).toContain(`${k}\0`);
    expect(dcfg).toContain(b.devName);
  });

  it("devs flash rejects a board without devName (negative control)", async () => {
    const rp = fileOfArch("rp2040");
    const dir = project({
      "no_name.board.json": mutate(rp, (b) => {
        b.id = "no_name";
        delete (b as { devName?: string }).devName;
      }),
    });
    const stock = basename(new URL(ARCHS.get(boards.get(rp)!.archId)!).pathname);
    mkdirSync(join(dir, ".devicescript", "cache"), { recursive: true });
    writeFileSync(join(dir, ".devicescript", "cache", stock), fakeStockImage(stock));
    const r = await devs(dir, ["flash", "--board", "no_name", "--remote"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no devName/);
  });
});
