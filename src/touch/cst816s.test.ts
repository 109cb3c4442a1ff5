// DeviceScript tests of the CST816S driver (run by tests/touch.test.ts:
//   npx devs run src/touch/cst816s.test.ts --test --test-self-exit).
// The register dumps are those of tests/fixtures/cst816s-dumps.json (one case per line, checked
// against the JSON by tests/touch.test.ts); then a replayed touch sequence goes through the
// Digit Touch server to a client and back into strokes.
import * as ds from "@devicescript/core";
import { describe, expect, test } from "@devicescript/test";
import { createPanel, decodeTouchRegisters, startPanel, type TouchController } from "./cst816s";
import { addSamplesPayload, newStrokeSet, takeDigit } from "../shared/touch-samples";

interface DumpCase {
  name: string;
  regs: Buffer;
  width: number;
  height: number;
  valid: boolean;
  gesture: number;
  fingers: number;
  event: number;
  x: number;
  y: number;
  pressed: boolean;
  controller?: TouchController;
}

// width/height 0: decoded without a panel size
// biome-ignore format: a table, one register dump per row (tests/touch.test.ts reads the rows)
const CASES: DumpCase[] = [
  { name: "touch down at (120, 80)", regs: hex`00 01 00 78 00 50`, width: 0, height: 0, valid: true, gesture: 0, fingers: 1, event: 0, x: 120, y: 80, pressed: true },
  { name: "contact at (121, 82)", regs: hex`00 01 80 79 00 52`, width: 0, height: 0, valid: true, gesture: 0, fingers: 1, event: 2, x: 121, y: 82, pressed: true },
  { name: "lift: no finger, up event", regs: hex`00 00 40 79 00 52`, width: 0, height: 0, valid: true, gesture: 0, fingers: 0, event: 1, x: 121, y: 82, pressed: false },
  { name: "lift: finger count still 1, up event", regs: hex`00 01 40 79 00 52`, width: 0, height: 0, valid: true, gesture: 0, fingers: 1, event: 1, x: 121, y: 82, pressed: false },
  { name: "idle: all zero", regs: hex`00 00 00 00 00 00`, width: 0, height: 0, valid: true, gesture: 0, fingers: 0, event: 0, x: 0, y: 0, pressed: false },
  { name: "two fingers, first point (60, 180)", regs: hex`00 02 80 3c 00 b4`, width: 0, height: 0, valid: true, gesture: 0, fingers: 2, event: 2, x: 60, y: 180, pressed: true },
  { name: "12-bit coordinates (239, 279) on a 240x280 panel", regs: hex`00 01 80 ef 01 17`, width: 240, height: 280, valid: true, gesture: 0, fingers: 1, event: 2, x: 239, y: 279, pressed: true },
  { name: "outside a 240x240 panel (300, 10)", regs: hex`00 01 81 2c 00 0a`, width: 240, height: 240, valid: false, gesture: 0, fingers: 1, event: 2, x: 300, y: 10, pressed: true },
  { name: "slide left gesture during contact", regs: hex`03 01 80 c8 00 64`, width: 0, height: 0, valid: true, gesture: 3, fingers: 1, event: 2, x: 200, y: 100, pressed: true },
  { name: "long press gesture", regs: hex`0c 01 80 64 00 64`, width: 0, height: 0, valid: true, gesture: 12, fingers: 1, event: 2, x: 100, y: 100, pressed: true },
  { name: "no-event flag with a finger: not pressed", regs: hex`00 01 c0 10 00 20`, width: 0, height: 0, valid: true, gesture: 0, fingers: 1, event: 3, x: 16, y: 32, pressed: false },
  { name: "upper bits of YH ignored", regs: hex`00 01 80 20 f1 00`, width: 0, height: 0, valid: true, gesture: 0, fingers: 1, event: 2, x: 32, y: 256, pressed: true },
  { name: "garbage: floating bus (all 0xff)", regs: hex`ff ff ff ff ff ff`, width: 0, height: 0, valid: false, gesture: 255, fingers: 15, event: 3, x: 4095, y: 4095, pressed: false },
  { name: "garbage: unknown gesture 0x07", regs: hex`07 01 80 10 00 10`, width: 0, height: 0, valid: false, gesture: 7, fingers: 1, event: 2, x: 16, y: 16, pressed: true },
  { name: "garbage: three fingers", regs: hex`00 03 80 10 00 10`, width: 0, height: 0, valid: false, gesture: 0, fingers: 3, event: 2, x: 16, y: 16, pressed: true },
  { name: "short read (3 bytes)", regs: hex`00 01 80`, width: 0, height: 0, valid: false, gesture: 0, fingers: 0, event: 3, x: 0, y: 0, pressed: false },
  { name: "ft6x36: touch down at (100, 150)", regs: hex`00 01 00 64 00 96`, width: 320, height: 240, valid: true, gesture: 0, fingers: 1, event: 0, x: 100, y: 150, pressed: true, controller: "ft6x36" },
  { name: "ft6x36: move-up gesture 0x10 during contact", regs: hex`10 01 80 c8 00 64`, width: 320, height: 240, valid: true, gesture: 16, fingers: 1, event: 2, x: 200, y: 100, pressed: true, controller: "ft6x36" },
  { name: "ft6x36: 12-bit x 319 on a 320x240 panel", regs: hex`00 01 81 3f 00 ef`, width: 320, height: 240, valid: true, gesture: 0, fingers: 1, event: 2, x: 319, y: 239, pressed: true, controller: "ft6x36" },
  { name: "ft6x36: CST816S tap code 0x05 is not an FT gesture", regs: hex`05 01 80 10 00 10`, width: 320, height: 240, valid: false, gesture: 5, fingers: 1, event: 2, x: 16, y: 16, pressed: true, controller: "ft6x36" },
];

describe("cst816s decodeTouchRegisters", () => {
  test("decodes every register dump as expected", () => {
    let failures = 0;
    for (const c of CASES) {
      const d = c.width ? decodeTouchRegisters(c.regs, c.width, c.height, c.controller) : decodeTouchRegisters(c.regs);
      const ok =
        d.valid === c.valid &&
        d.gesture === c.gesture &&
        d.fingers === c.fingers &&
        d.event === c.event &&
        d.x === c.x &&
        d.y === c.y &&
        d.pressed === c.pressed;
      if (!ok) {
        failures++;
        const got = [d.valid, d.gesture, d.fingers, d.event, d.x, d.y, d.pressed].join(" ");
        console.log("FAIL " + c.name + ": valid gesture fingers event x y pressed = " + got);
      }
    }
    console.log("cst816s dumps: " + (CASES.length - failures) + "/" + CASES.length + " decoded as expected");
    expect(failures).toBe(0);
  });
  test("no input is invalid", () => {
    expect(decodeTouchRegisters(undefined).valid).toBe(false);
  });
});

// a stroke (100,50) -> (110,60) -> (120,70), a garbage read, a failed read while pressed (pen up),
// then a second stroke with a lift whose coordinates are junk
const REPLAY: Buffer[] = [
  hex`00 01 00 64 00 32`,
  hex`00 01 80 6e 00 3c`,
  hex`ff ff ff ff ff ff`,
  hex`00 01 80 78 00 46`,
  undefined,
  hex`00 00 00 00 00 00`,
  hex`00 01 00 0a 00 14`,
  hex`00 01 80 0b 00 15`,
  hex`00 00 4f ff 0f ff`,
];

describe("cst816s Digit Touch server", () => {
  test("replayed register reads arrive as samples and strokes", async () => {
    let next = 0;
    let replaying = false;
    const panel = createPanel({
      width: 240,
      height: 240,
      samplePeriod: 5,
      source: async () => {
        const i = next;
        if (!replaying || i >= REPLAY.length) return hex`00 00 00 00 00 00`;
        next = i + 1;
        const b = REPLAY[i];
        if (!b) throw new Error("simulated I2C NACK");
        return b;
      },
    });
    const client = new ds.DigitTouch(startPanel(panel, "touchtest"));
    const strokes = newStrokeSet();
    let reports = 0;
    client.report().subscribe((pkt) => {
      if (pkt.spec.code !== ds.DigitTouchCodes.ReportSamples) return;
      reports++;
      addSamplesPayload(strokes, pkt.payload, ds.millis());
    });
    for (let t = 0; t < 200 && !client.isBound; t++) await ds.sleep(20);
    expect(client.isBound).toBe(true);
    replaying = true;
    for (let t = 0; t < 100 && (next < REPLAY.length || reports < 7); t++) await ds.sleep(20);
    console.log("replay: " + reports + " reports, lost " + strokes.lostSamples);
    expect(reports).toBe(7);
    expect(strokes.lostSamples).toBe(0);
    expect(panel.invalidReads).toBe(1);
    expect(panel.readErrors).toBe(1);
    const digit = takeDigit(strokes);
    expect(digit.length).toBe(2);
    expect(digit[0].join(",")).toBe("100,50,110,60,120,70");
    expect(digit[1].join(",")).toBe("10,20,11,21");
    expect(await client.width.read()).toBe(240);
    expect(await client.samplePeriod.read()).toBe(5);
    await client.samplePeriod.write(20);
    expect(await client.samplePeriod.read()).toBe(20);
  });
});
