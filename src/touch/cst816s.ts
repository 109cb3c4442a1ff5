// Driver for the Hynitron CST816S capacitive touch controller (I2C address 0x15; also CST816T/D
// and CST716, same touch registers) and the FocalTech FT6x36 (FT6236/FT6336U, address 0x38, the
// same touch block 0x01..0x06 with its own gesture codes: startFt6x36), served as a Digit Touch service (services/digittouch.md)
// so the program reads a board's panel and the simulated panel (devices/touch.ts) the same way:
//
//   import { pins } from "@dsboard/<board>"       // I2C pins come from the board JSON (i2c section)
//   const touch = await startCst816s({ width: 240, height: 240, resetPin: pins.TP_RST })
//   touch.report().subscribe(pkt => ...)          // `samples` reports, see src/shared/touch-samples.ts
//
// In the simulator do not start it: use `new ds.DigitTouch()`, which binds to devices/touch.ts.
//
// Registers (touch data, read as one 6-byte block from 0x01):
//   0x01 gesture id (0 none, 1 slide down, 2 slide up, 3 slide left, 4 slide right, 5 single tap,
//        0x0b double tap, 0x0c long press)
//   0x02 finger count (0..2; low nibble)
//   0x03 XH: event flag in bits 7:6 (0 down, 1 up, 2 contact, 3 none), x bits 11:8 in bits 3:0
//   0x04 XL: x bits 7:0
//   0x05 YH: y bits 11:8 in bits 3:0 (upper bits ignored)
//   0x06 YL: y bits 7:0
//   0xa7 chip id (0xb4 CST816S, 0xb5 CST816T, 0xb6 CST816D, 0x20 CST716), 0xa9 firmware version
//   0xfa IRQ control (0x60: interrupt pulses while touched and on change = report mode)
//   0xfe disable auto sleep (non-zero: the chip stays awake, so I2C always answers)
// The driver polls the touch data every `sample_period` (the INT pin's pulses are about 1 ms,
// too short to poll, and DeviceScript has no pin interrupts); the RST pin, when given, is pulsed
// low at start. The coordinates of an `up` event are not trusted: the pen-up sample repeats the
// last pressed position.
import * as ds from "@devicescript/core";
import "@devicescript/gpio";
import { i2c } from "@devicescript/i2c";
import { Server, startServer } from "@devicescript/server";

export const CST816S_ADDRESS = 0x15;
export const REG_GESTURE = 0x01;
export const REG_CHIP_ID = 0xa7;
export const REG_FW_VERSION = 0xa9;
export const REG_IRQ_CTL = 0xfa;
export const REG_DIS_AUTO_SLEEP = 0xfe;
/** Bytes of the touch data block read from REG_GESTURE. */
export const TOUCH_DATA_SIZE = 6;

export const EVENT_DOWN = 0;
export const EVENT_UP = 1;
export const EVENT_CONTACT = 2;
export const EVENT_NONE = 3;

const IRQ_REPORT_MODE = 0x60;
const MIN_PERIOD = 5;
const MAX_PERIOD = 1000;

export interface TouchRegisters {
  /** False for a short read or bytes that cannot be touch data (floating bus, noise). */
  valid: boolean;
  gesture: number;
  fingers: number;
  event: number;
  x: number;
  y: number;
  /** A finger is on the panel (fingers > 0 and event down or contact). */
  pressed: boolean;
}

/** The controller family: they share the touch block 0x01..0x06 but not the gesture codes. */
export type TouchController = "cst816s" | "ft6x36";

/** FocalTech FT6x36 (FT6236/FT6336U, as on the M5Stack Core2): I2C address 0x38. */
export const FT6X36_ADDRESS = 0x38;
/** FT6x36 chip id register (0x64 FT6336U, 0x36 FT6236). */
export const REG_FT_CHIP_ID = 0xa3;

function isGesture(g: number, controller: TouchController): boolean {
  // FT6x36 GEST_ID: 0 none, 0x10 move up, 0x14 right, 0x18 down, 0x1c left, 0x48 zoom in, 0x49 zoom out
  if (controller === "ft6x36") return g === 0 || g === 0x10 || g === 0x14 || g === 0x18 || g === 0x1c || g === 0x48 || g === 0x49;
  return g <= 5 || g === 0x0b || g === 0x0c;
}

/**
 * Decodes the touch data block (registers 0x01..0x06). Invalid: fewer than 6 bytes, an unknown
 * gesture id, a finger count byte above 2, or a pressed point outside `width` x `height`
 * (defaults: the 12-bit coordinate range).
 */
export function decodeTouchRegisters(regs: Buffer, width?: number, height?: number, controller?: TouchController): TouchRegisters {
  const r: TouchRegisters = { valid: false, gesture: 0, fingers: 0, event: EVENT_NONE, x: 0, y: 0, pressed: false };
  if (!regs || regs.length < TOUCH_DATA_SIZE) return r;
  r.gesture = regs[0];
  r.fingers = regs[1] & 0x0f;
  r.event = regs[2] >> 6;
  r.x = ((regs[2] & 0x0f) << 8) | regs[3];
  r.y = ((regs[4] & 0x0f) << 8) | regs[5];
  r.pressed = r.fingers > 0 && (r.event === EVENT_DOWN || r.event === EVENT_CONTACT);
  const w = width === undefined ? 4096 : width;
  const h = height === undefined ? 4096 : height;
  r.valid = isGesture(r.gesture, controller === "ft6x36" ? "ft6x36" : "cst816s") && regs[1] <= 2 && (!r.pressed || (r.x < w && r.y < h));
  return r;
}

export interface Cst816sOptions {
  /** Which controller: "cst816s" (default) or "ft6x36" (same touch registers). */
  controller?: TouchController;
  /** 7-bit I2C address; default 0x15 (CST816S) or 0x38 (FT6x36). */
  address?: number;
  /** Panel size reported by the service and the valid coordinate range; default 240 x 240. */
  width?: number;
  height?: number;
  /** Coordinate transforms for mounted-rotated panels (applied: swap, then mirror). */
  swapXY?: boolean;
  mirrorX?: boolean;
  mirrorY?: boolean;
  /** Reset pin (active low), pulsed at start when given. */
  resetPin?: ds.OutputPin;
  /** Initial sample period in ms; default 10. */
  samplePeriod?: number;
  /** Samples per report, 1..29; default 1 (every sample sent at once). */
  batch?: number;
  roleName?: string;
  /**
   * Where the touch data comes from; default: I2C reads of registers 0x01..0x06. Tests replay
   * register dumps through it (a thrown error counts as a failed read).
   */
  source?: () => Promise<Buffer>;
}

interface PanelState {
  controller: TouchController;
  address: number;
  width: number;
  height: number;
  swapXY: boolean;
  mirrorX: boolean;
  mirrorY: boolean;
  period: number;
  batch: number;
  source: () => Promise<Buffer>;
  server: DigitTouchServer;
  penDown: boolean;
  lastX: number;
  lastY: number;
  seq: number;
  /** Flat pending samples: time, x, y, pressed, fingers per sample. */
  pending: number[];
  pendingSeq: number;
  readErrors: number;
  invalidReads: number;
}

class DigitTouchServer extends Server implements ds.DigitTouchServerSpec {
  state: PanelState;
  constructor(options: Cst816sOptions) {
    super(ds.DigitTouch.spec, options);
  }
  width() {
    return this.state.width;
  }
  height() {
    return this.state.height;
  }
  samplePeriod() {
    return this.state.period;
  }
  set_samplePeriod(value: number) {
    this.state.period = Math.constrain(Math.round(value), MIN_PERIOD, MAX_PERIOD);
  }
}

async function flush(t: PanelState): Promise<void> {
  if (t.pending.length === 0) return;
  const values: number[] = [t.pendingSeq, 0];
  for (const v of t.pending) values.push(v);
  t.pending = [];
  await t.server._send(ds.DigitTouch.spec.lookup("samples").encode(values));
}

async function addSample(t: PanelState, x: number, y: number, pressed: boolean, fingers: number): Promise<void> {
  if (t.pending.length === 0) t.pendingSeq = t.seq;
  t.pending.push(ds.millis() & 0xffff);
  t.pending.push(x);
  t.pending.push(y);
  t.pending.push(pressed ? 1 : 0);
  t.pending.push(fingers);
  t.seq = (t.seq + 1) & 0xffff;
  if (!pressed || t.pending.length >= 5 * t.batch) await flush(t);
}

/** One poll: reads the touch data and publishes a sample when pressed or just released. */
export async function pollPanel(t: PanelState): Promise<void> {
  let regs: Buffer = undefined;
  try {
    regs = await t.source();
  } catch (e) {
    if (t.readErrors === 0) console.log("cst816s: read failed (asleep or not connected): " + e);
    t.readErrors++;
  }
  const d = decodeTouchRegisters(regs, t.swapXY ? t.height : t.width, t.swapXY ? t.width : t.height, t.controller);
  if (regs && !d.valid) t.invalidReads++;
  if (d.valid && d.pressed) {
    let x = t.swapXY ? d.y : d.x;
    let y = t.swapXY ? d.x : d.y;
    if (t.mirrorX) x = t.width - 1 - x;
    if (t.mirrorY) y = t.height - 1 - y;
    t.penDown = true;
    t.lastX = x;
    t.lastY = y;
    await addSample(t, x, y, true, d.fingers);
  } else if (t.penDown && (d.valid || !regs)) {
    // released, or the chip stopped answering: pen up at the last position
    t.penDown = false;
    await addSample(t, t.lastX, t.lastY, false, 0);
  }
}

async function pollLoop(t: PanelState) {
  while (true) {
    await pollPanel(t);
    await ds.sleep(t.period);
  }
}

function hex2(b: number): string {
  const digits = "0123456789abcdef";
  return digits[(b >> 4) & 15] + digits[b & 15];
}

async function resetChip(pin: ds.OutputPin): Promise<void> {
  pin.setMode(ds.GPIOMode.OutputHigh);
  pin.write(0);
  await ds.sleep(20);
  pin.write(1);
  await ds.sleep(50);
}

/** Reads the chip id; undefined when the chip does not answer. */
export async function readChipId(address?: number): Promise<number> {
  try {
    return await i2c.readReg(address === undefined ? CST816S_ADDRESS : address, REG_CHIP_ID);
  } catch (e) {
    return undefined;
  }
}

/** The panel state behind a server, without starting anything (tests drive `pollPanel`). */
export function createPanel(options: Cst816sOptions): PanelState {
  const controller: TouchController = options.controller === "ft6x36" ? "ft6x36" : "cst816s";
  const address = options.address !== undefined ? options.address : controller === "ft6x36" ? FT6X36_ADDRESS : CST816S_ADDRESS;
  let batch = options.batch === undefined ? 1 : Math.round(options.batch);
  batch = Math.constrain(batch, 1, 29);
  const t: PanelState = {
    controller,
    address,
    width: options.width || 240,
    height: options.height || 240,
    swapXY: !!options.swapXY,
    mirrorX: !!options.mirrorX,
    mirrorY: !!options.mirrorY,
    period: Math.constrain(options.samplePeriod || 10, MIN_PERIOD, MAX_PERIOD),
    batch,
    source: options.source,
    server: undefined,
    penDown: false,
    lastX: 0,
    lastY: 0,
    seq: 0,
    pending: [],
    pendingSeq: 0,
    readErrors: 0,
    invalidReads: 0,
  };
  if (!t.source) t.source = async () => await i2c.readRegBuf(address, REG_GESTURE, TOUCH_DATA_SIZE);
  const server = new DigitTouchServer(options);
  server.state = t;
  t.server = server;
  return t;
}

/** Starts the server of a panel and its poll loop; returns the role name to bind a client to. */
export function startPanel(t: PanelState, roleName?: string): string {
  const name = startServer(t.server, { roleName });
  pollLoop.start(t);
  return name;
}

/**
 * Resets and configures the CST816S (stay awake, report mode), starts a Digit Touch server that
 * publishes its samples and returns a client bound to it.
 */
export async function startCst816s(options?: Cst816sOptions): Promise<ds.DigitTouch> {
  if (!options) options = {};
  const t = createPanel(options);
  if (!options.source) {
    if (options.resetPin) await resetChip(options.resetPin);
    const id = await readChipId(t.address);
    if (id === undefined) {
      console.log("cst816s: no answer at I2C address " + t.address + " (polling anyway: it may be asleep until touched)");
    } else {
      console.log("cst816s: chip id 0x" + hex2(id));
      try {
        await i2c.writeReg(t.address, REG_DIS_AUTO_SLEEP, 1);
        await i2c.writeReg(t.address, REG_IRQ_CTL, IRQ_REPORT_MODE);
      } catch (e) {
        console.log("cst816s: configuration failed: " + e);
      }
    }
  }
  return new ds.DigitTouch(startPanel(t, options.roleName));
}

/**
 * Starts a FocalTech FT6x36 panel (FT6236 / FT6336U, e.g. the M5Stack Core2's, address 0x38) as
 * a Digit Touch server: the same touch data block as the CST816S, polled the same way; the chip
 * needs no configuration writes. Returns a client bound to it.
 */
export async function startFt6x36(options?: Cst816sOptions): Promise<ds.DigitTouch> {
  if (!options) options = {};
  options.controller = "ft6x36";
  const t = createPanel(options);
  if (!options.source) {
    if (options.resetPin) await resetChip(options.resetPin);
    try {
      const id = await i2c.readReg(t.address, REG_FT_CHIP_ID);
      console.log("ft6x36: chip id 0x" + hex2(id));
    } catch (e) {
      console.log("ft6x36: no answer at I2C address " + t.address + " (polling anyway)");
    }
  }
  return new ds.DigitTouch(startPanel(t, options.roleName));
}
