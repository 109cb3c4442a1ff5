/**
 * The camera input path: the simulated camera's frames (devices/camera.ts) are deterministic;
 * frame -> src/shared/camera-preprocess.ts -> the shipped model recognizes the first 300 MNIST test
 * digits; the DeviceScript VM computes the same preprocess bytes as Node (src/camera/preprocess.test.ts
 * on the fixture frames, which must be up to date) and reassembles chunks; the camera's chunks
 * fit in Jacdac packets and reassemble into the frame. No hub, no network port.
 */
import { createHash } from "node:crypto";
import { Packet } from "jacdac-ts";
import { describe, expect, it } from "vitest";
import { CameraServer, frameChunks } from "../devices/camera.ts";
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../lib/image/photo.ts";
import { devsTest } from "../lib/devs/cli.ts";
import { IMAGE_PIXELS, loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { classify } from "../lib/model/infer.ts";
import { packPixels } from "../lib/model/input.ts";
import { resolveModelPath } from "../lib/paths.ts";
import { CAMERA } from "../lib/services.ts";
import { CHUNK_HEADER_SIZE as CHUNK_HEADER, MAX_PAYLOAD } from "../src/shared/camera-chunks.ts";
import { OUT_PIXELS, preprocess } from "../src/shared/camera-preprocess.ts";
import { yieldToEventLoop, yielder } from "../lib/event-loop.ts";

const COUNT = 300;
const test = loadMnist("test");
const frameOf = (k: number) => synthesizeFrame(test.images, k * IMAGE_PIXELS, k);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Reassembles chunk payloads (any order, duplicates allowed) as src/camera/frames.ts does. */
function reassemble(payloads: Uint8Array[], frameId: number): Uint8Array {
  let frame: Uint8Array | undefined;
  let got: Uint8Array | undefined;
  for (const p of payloads) {
    const dv = new DataView(p.buffer, p.byteOffset, p.length);
    expect(dv.getUint32(0, true)).toBe(frameId);
    const offset = dv.getUint16(4, true);
    const total = dv.getUint16(6, true);
    frame ??= new Uint8Array(total);
    got ??= new Uint8Array(total);
    expect(total).toBe(frame.length);
    expect(offset + p.length - CHUNK_HEADER).toBeLessThanOrEqual(total);
    frame.set(p.subarray(CHUNK_HEADER), offset);
    got.fill(1, offset, offset + p.length - CHUNK_HEADER);
  }
  expect(got!.indexOf(0)).toBe(-1);
  return frame!;
}

describe("simulated camera frames", () => {
  it("are deterministic: same bytes whatever the order of synthesis", () => {
    const a = [0, 1, 2, 150, 299].map((k) => sha(frameOf(k)));
    const b = [299, 150, 2, 1, 0].map((k) => sha(frameOf(k))).reverse();
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    const f = frameOf(0);
    expect(f.length).toBe(FRAME_WIDTH * FRAME_HEIGHT);
    // bright paper, dark ink
    const sorted = [...f].sort((x, y) => x - y);
    expect(sorted[Math.floor(f.length / 2)]).toBeGreaterThan(150);
    expect(sorted[0]).toBeLessThan(90);
  });

  it(`frame -> preprocess -> shipped model recognizes the first ${COUNT} test digits`, async () => {
    const model = readModelFile(resolveModelPath("default"));
    const out = new Uint8Array(OUT_PIXELS);
    let camera = 0;
    let direct = 0;
    const breathe = yielder();
    for (let k = 0; k < COUNT; k++) {
      await breathe();
      const ink = await preprocess(frameOf(k), FRAME_WIDTH, FRAME_HEIGHT, out);
      expect(ink).toBeGreaterThan(0);
      if (classify(model, packPixels(out, model.input.threshold, OUT_PIXELS)).digit === test.labels[k]) camera++;
      if (classify(model, packPixels(test.images, model.input.threshold, IMAGE_PIXELS, k * IMAGE_PIXELS)).digit === test.labels[k]) direct++;
    }
    const pct = (n: number) => ((100 * n) / COUNT).toFixed(2);
    console.log(
      `camera frames -> preprocess -> default model: ${camera}/${COUNT} = ${pct(camera)} % (the MNIST images themselves: ${direct}/${COUNT} = ${pct(direct)} %)`,
    );
    expect(camera / COUNT).toBeGreaterThan(0.8);
  });
});

describe("preprocess in the DeviceScript VM", () => {
  // the fixture (src/generated/preprocess-fixture.ts) is checked fresh by tests/regen.test.ts
  it("gives Node's bytes for the fixture frames, and reassembles chunks (devs run --test)", async () => {
    const r = await devsTest("src/camera/preprocess.test.ts");
    if (r.code !== 0) console.log(r.output);
    expect(r.output).toMatch(/tests: 5, pass: 5, error: 0/);
    expect(r.output).not.toMatch(/Exception/);
    expect(r.code).toBe(0);
  });
});

describe("simulated camera chunking", () => {
  it("splits every frame into payloads of at most 236 bytes that reassemble into it", async () => {
    for (let k = 0; k < COUNT; k += 7) {
      // the worker's event loop runs between frames (each is a few hundred expects)
      await yieldToEventLoop();
      const frame = frameOf(k);
      const chunks = frameChunks(k, frame);
      expect(chunks.length).toBe(Math.ceil(frame.length / (MAX_PAYLOAD - CHUNK_HEADER)));
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_PAYLOAD);
      const shuffled = [...chunks].reverse().concat([chunks[1]]);
      expect(reassemble(shuffled, k)).toEqual(frame);
      // a resend from an offset covers the rest exactly
      expect(reassemble([...chunks.slice(0, 4), ...frameChunks(k, frame, 4 * (MAX_PAYLOAD - CHUNK_HEADER))], k)).toEqual(frame);
      expect(reassemble([...chunks.slice(0, 5), ...frameChunks(k, frame, 1000)], k)).toEqual(frame);
    }
  });

  it("answers capture and register reads in-process (no hub)", async () => {
    const server = new CameraServer({ images: test.images, first: 10, count: 20 });
    const sent: Packet[] = [];
    server.sendPacketAsync = async (p: Packet) => {
      sent.push(p);
    };
    const command = (code: number, data: Uint8Array) => server.handlePacket(Packet.from(code, data));
    const capture = (id: number, offset: number) => {
      const d = new Uint8Array(6);
      new DataView(d.buffer).setUint32(0, id, true);
      new DataView(d.buffer).setUint16(4, offset, true);
      return command(CAMERA.cmdCapture, d);
    };

    await capture(25, 0); // image 10 + 25 % 20 = 15
    expect(sent.every((p) => p.serviceCommand === CAMERA.reportFrameChunk && p.data.length <= MAX_PAYLOAD)).toBe(true);
    expect(
      reassemble(
        sent.map((p) => p.data),
        25,
      ),
    ).toEqual(frameOf(15));
    expect(server.frameCount).toBe(1);

    sent.length = 0;
    await capture(25, 2000); // same frame id: resent from the buffer, not a new capture
    expect(sent.map((p) => new DataView(p.data.buffer, p.data.byteOffset).getUint16(4, true))).toEqual([2000, 2228, 2456, 2684, 2912]);
    expect(server.frameCount).toBe(1);
    sent.length = 0;
    await capture(26, 5000); // beyond the frame: no report, but a new capture
    expect(sent).toEqual([]);
    expect(server.frameCount).toBe(2);

    const reg = async (code: number) => {
      sent.length = 0;
      await server.handlePacket(Packet.onlyHeader(0x1000 | code));
      expect(sent.length).toBe(1);
      const d = sent[0].data;
      return d.length === 2 ? d[0] | (d[1] << 8) : new DataView(d.buffer, d.byteOffset).getUint32(0, true);
    };
    expect(await reg(CAMERA.regWidth)).toBe(FRAME_WIDTH);
    expect(await reg(CAMERA.regHeight)).toBe(FRAME_HEIGHT);
    expect(await reg(CAMERA.regFrameCount)).toBe(2);
    expect(await reg(CAMERA.regStoredFrames)).toBe(20);
  });
});
