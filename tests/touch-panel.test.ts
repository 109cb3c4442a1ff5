/**
 * The simulated touch panel (devices/touch.ts): its replay of MNIST digits as timed samples, the
 * reports it groups them in, collected as the program does, and the panel as a Jacdac device on
 * a socket of its own (replaying, or drawing the strokes of JSON lines on its stdin).
 * (The touch input path on the board's side: tests/touch.test.ts.)
 */
import { Packet } from "jacdac-ts";
import { describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { groupReports, replayTimeline } from "../devices/touch.ts";
import { start } from "../lib/processes.ts";
import { TOUCH } from "../lib/services.ts";
import { loadMnist } from "../lib/mnist.ts";
import { ROOT } from "../lib/paths.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { rasterizeBits } from "../src/shared/stroke-raster.ts";
import { addSamplesPayload, DIGIT_TIMEOUT_MS, digitReady, MAX_SAMPLES_PER_REPORT, newStrokeSet, takeDigit } from "../src/shared/touch-samples.ts";

/** The raster as 784 values 0/1 (element 28 r + c). */
function rasterize(strokes: number[][], w: number, h: number): Uint8Array {
  const bits = new Uint8Array(100);
  rasterizeBits(strokes, w, h, bits);
  return Uint8Array.from({ length: 784 }, (_, e) => (bits[e >> 3] >> (e & 7)) & 1);
}

describe("simulated panel (devices/touch.ts)", () => {
  const mnist = loadMnist("test");

  it("replays digits as timed samples with pen-up gaps longer than the digit timeout", () => {
    const tl = replayTimeline(mnist.images, mnist.labels, 5, 4, { period: 10, strokeGap: 150, digitGap: 1000 });
    expect(tl.digits.map((d) => d.index)).toEqual([5, 6, 7, 8]);
    expect(tl.digits.map((d) => d.label)).toEqual([...mnist.labels.slice(5, 9)]);
    for (let i = 1; i < tl.samples.length; i++) {
      const a = tl.samples[i - 1];
      const b = tl.samples[i];
      if (a.digit !== b.digit) {
        expect(a.pressed).toBe(false);
        expect(b.time - a.time).toBeGreaterThan(DIGIT_TIMEOUT_MS);
      } else if (!a.pressed) {
        expect(b.time - a.time).toBe(150);
      } else {
        expect(b.time - a.time).toBe(10);
      }
    }
    expect(tl.samples[tl.samples.length - 1].pressed).toBe(false);
  });

  it("its reports, collected as the program does, give back each digit's strokes and raster", () => {
    const tl = replayTimeline(mnist.images, mnist.labels, 0, 6);
    for (const batch of [1, 5, MAX_SAMPLES_PER_REPORT]) {
      const reports = groupReports(tl.samples, batch);
      expect(reports.every((r) => r.payload.length <= 236)).toBe(true);
      const s = newStrokeSet();
      const got: number[][][] = [];
      for (const r of reports) {
        if (digitReady(s, r.time, DIGIT_TIMEOUT_MS)) got.push(takeDigit(s));
        addSamplesPayload(s, r.payload, r.time);
      }
      got.push(takeDigit(s));
      expect(s.lostSamples).toBe(0);
      expect(got).toEqual(tl.digits.map((d) => d.strokes));
      for (let k = 0; k < got.length; k++) {
        expect(Buffer.from(rasterize(got[k], 240, 240)).equals(Buffer.from(rasterize(strokesFromImage(mnist.images, k), 240, 240)))).toBe(true);
      }
    }
  });
});

describe("simulated panel as a Jacdac device (devices/touch.ts)", () => {
  const mnist = loadMnist("test");

  /**
   * A program's side of the bus on a socket of its own (not the hub): reads the panel's width when
   * the device announces itself, collects the samples reports as the program does (a digit ends
   * when no sample came for the digit timeout).
   */
  async function fakeProgram() {
    const SERVICE_CLASS = TOUCH.serviceClass;
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => wss.once("listening", resolve));
    const port = (wss.address() as { port: number }).port;
    const strokes = newStrokeSet();
    const digits: number[][][] = [];
    const seen = { width: -1, asked: false };
    wss.on("connection", (ws: WebSocket) => {
      ws.on("message", (data: Buffer) => {
        for (const p of Packet.fromFrame(new Uint8Array(data), 0)) {
          if (p.isCommand) continue;
          if (
            p.serviceIndex === 0 &&
            p.serviceCommand === 0 &&
            !seen.asked &&
            p.data.length >= 8 &&
            new DataView(p.data.buffer, p.data.byteOffset).getUint32(4, true) === SERVICE_CLASS
          ) {
            seen.asked = true;
            const get = Packet.onlyHeader(0x1000 | TOUCH.regWidth); // get width
            get.deviceIdentifier = p.deviceIdentifier;
            get.serviceIndex = 1;
            get.isCommand = true;
            ws.send(get.toBuffer());
          } else if (p.serviceIndex === 1 && p.serviceCommand === (0x1000 | TOUCH.regWidth)) {
            seen.width = p.data[0] | (p.data[1] << 8);
          } else if (p.serviceIndex === 1 && p.serviceCommand === TOUCH.reportSamples) {
            const now = performance.now();
            if (digitReady(strokes, now, DIGIT_TIMEOUT_MS)) digits.push(takeDigit(strokes));
            addSamplesPayload(strokes, p.data, now);
          }
        }
      });
    });
    return { url: `ws://127.0.0.1:${port}`, strokes, digits, seen, close: () => wss.close() };
  }

  it("runs as a Jacdac device: announces, answers a register read, then replays (own socket, not the hub)", async () => {
    const program = await fakeProgram();
    const device = start(
      process.execPath,
      ["--import", "tsx", "devices/touch.ts", "--first", "3", "--count", "1", "--url", program.url, "--delay", "60000", "--batch", "3"],
      { cwd: ROOT, name: "devices/touch.ts" },
    );
    try {
      await device.waitFor(/^touch done/, 30_000);
    } finally {
      await device.stop();
      program.close();
    }
    const out = device.recent().join("\n");
    expect(out).not.toMatch(/^touch: /m); // its error lines
    expect(out).toContain("touch ready");
    expect(out).toContain(`touch digit 3 label ${mnist.labels[3]}`);
    expect(program.seen.width).toBe(240);
    expect(program.strokes.lostSamples).toBe(0);
    expect(takeDigit(program.strokes)).toEqual(strokesFromImage(mnist.images, 3));
  });

  it("--stdin: draws the strokes of each JSON line as the replay would, digits apart, skips a bad line, exits at end of input", async () => {
    const program = await fakeProgram();
    const device = start(
      process.execPath,
      ["--import", "tsx", "devices/touch.ts", "--stdin", "--url", program.url, "--delay", "60000", "--period", "2", "--batch", "8", "--gap", "800"],
      { cwd: ROOT, name: "devices/touch.ts", input: true },
    );
    const given = [strokesFromImage(mnist.images, 0), [[120, 120]], strokesFromImage(mnist.images, 1)];
    try {
      // written before the device is even connected: the lines wait until the program reads the panel
      device.write(JSON.stringify({ strokes: given[0] }) + "\n");
      device.write(JSON.stringify({ strokes: given[1] }) + "\n");
      device.write('{"strokes": [[1, 2, 3]]}\n');
      device.write(JSON.stringify({ strokes: given[2] }) + "\n");
      device.child.stdin!.end();
      expect(await device.exited).toBe(0);
    } finally {
      await device.stop();
      program.close();
    }
    const out = device.recent().join("\n");
    expect(out).toContain("touch ready");
    expect(out).toMatch(/^touch: bad line 3 on stdin: stroke 0 is not a list of x, y pairs$/m);
    expect(out.match(/^touch drawn \d$/gm)).toEqual(["touch drawn 0", "touch drawn 1", "touch drawn 2"]);
    program.digits.push(takeDigit(program.strokes));
    expect(program.strokes.lostSamples).toBe(0);
    expect(program.digits).toEqual(given);
  });
});
