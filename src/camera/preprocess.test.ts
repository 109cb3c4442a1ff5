// DeviceScript test: the VM computes the same preprocess bytes as Node for the fixture frames
// (src/generated/preprocess-fixture.ts, written by lib/export/camera-fixture.ts), and the frame
// reassembly of src/camera/frames.ts copes with chunks out of order, twice, of another frame, and
// missing. Run by tests/camera.test.ts:
//   npx devs run src/camera/preprocess.test.ts --test --test-self-exit
import * as ds from "@devicescript/core";
import { describe, expect, test } from "@devicescript/test";
import { preprocess } from "../shared/camera-preprocess";
import { acceptChunk, beginFrame, completeFrame, firstMissing } from "./frames";
import { CHUNK_HEADER_SIZE, MAX_CHUNK_PIXELS as CHUNK_PIXELS } from "../shared/camera-chunks";
import { FIXTURE_COUNT, FIXTURE_EXPECTED, FIXTURE_FRAMES, FIXTURE_HEIGHT, FIXTURE_INK, FIXTURE_WIDTH } from "../generated/preprocess-fixture";

const FRAME_BYTES = FIXTURE_WIDTH * FIXTURE_HEIGHT;

async function pause() {
  await ds.sleep(0);
}

/** Number of differing bytes; logs the first one. (Yields: long loops stop the VM.) */
async function differences(got: Buffer, want: Buffer, what: string): Promise<number> {
  if (got.length === want.length && got.toString("hex") === want.toString("hex")) return 0;
  let n = got.length === want.length ? 0 : 1;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (n === 0) console.log(what + ": first difference at byte " + i + ": " + got[i] + " != " + want[i]);
      n++;
    }
    if (i % 256 === 255) await ds.sleep(0);
  }
  return n;
}

function chunk(frameId: number, frame: Buffer, offset: number): Buffer {
  let n = frame.length - offset;
  if (n > CHUNK_PIXELS) n = CHUNK_PIXELS;
  // the layout of src/shared/camera-chunks.ts, with the VM's buffer calls (a byte loop in
  // bytecode is too slow for a test of 25 frames)
  const p = Buffer.alloc(CHUNK_HEADER_SIZE + n);
  p.setAt(0, "u32", frameId);
  p.setAt(4, "u16", offset);
  p.setAt(6, "u16", frame.length);
  p.blitAt(CHUNK_HEADER_SIZE, frame, offset, n);
  return p;
}

describe("camera preprocess", () => {
  test("fixture frames give Node's bytes", async () => {
    const out = Buffer.alloc(784);
    for (let k = 0; k < FIXTURE_COUNT; k++) {
      const frame = FIXTURE_FRAMES.slice(k * FRAME_BYTES, (k + 1) * FRAME_BYTES);
      const ink = await preprocess(frame, FIXTURE_WIDTH, FIXTURE_HEIGHT, out, pause);
      expect(ink).toBe(FIXTURE_INK[k]);
      expect(await differences(out, FIXTURE_EXPECTED.slice(k * 784, (k + 1) * 784), "frame " + k)).toBe(0);
    }
  });
  test("blank paper gives no digit", async () => {
    const frame = Buffer.alloc(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES; i++) {
      frame[i] = 200 + (i % 7);
      if (i % 256 === 255) await pause();
    }
    const out = Buffer.alloc(784);
    out[5] = 9;
    expect(await preprocess(frame, FIXTURE_WIDTH, FIXTURE_HEIGHT, out, pause)).toBe(0);
    let sum = 0;
    for (let i = 0; i < 784; i++) sum += out[i];
    expect(sum).toBe(0);
  });
});

describe("camera frame reassembly", () => {
  test("chunks out of order, duplicated and of another frame", async () => {
    const frame = FIXTURE_FRAMES.slice(0, FRAME_BYTES);
    const offsets: number[] = [];
    for (let o = 0; o < FRAME_BYTES; o += CHUNK_PIXELS) offsets.push(o);
    beginFrame(7);
    expect(acceptChunk(chunk(6, frame, 0))).toBe(false);
    expect(firstMissing()).toBe(0);
    for (let i = offsets.length - 1; i >= 0; i -= 2) acceptChunk(chunk(7, frame, offsets[i]));
    expect(completeFrame()).toBe(undefined);
    for (let i = 0; i < offsets.length; i++) acceptChunk(chunk(7, frame, offsets[i]));
    acceptChunk(chunk(7, frame, offsets[3]));
    const f = completeFrame();
    expect(f !== undefined).toBe(true);
    expect(firstMissing()).toBe(-1);
    expect(await differences(f, frame, "reassembled")).toBe(0);
  });
  test("a missing chunk is reported as the offset to ask again from", async () => {
    const frame = FIXTURE_FRAMES.slice(FRAME_BYTES, 2 * FRAME_BYTES);
    beginFrame(8);
    for (let o = 0; o < FRAME_BYTES; o += CHUNK_PIXELS) if (o !== 5 * CHUNK_PIXELS) acceptChunk(chunk(8, frame, o));
    expect(completeFrame()).toBe(undefined);
    expect(firstMissing()).toBe(5 * CHUNK_PIXELS);
    // the camera resends from there: chunk boundaries follow the requested offset
    for (let o = 5 * CHUNK_PIXELS; o < FRAME_BYTES; o += CHUNK_PIXELS) acceptChunk(chunk(8, frame, o));
    expect(await differences(completeFrame(), frame, "resent")).toBe(0);
  });
  test("malformed chunks are refused", () => {
    beginFrame(9);
    expect(acceptChunk(Buffer.alloc(7))).toBe(false);
    const p = Buffer.alloc(8 + 10);
    p.setAt(0, "u32", 9);
    p.setAt(4, "u16", 100);
    p.setAt(6, "u16", 105); // 100 + 10 bytes > total
    expect(acceptChunk(p)).toBe(false);
    p.setAt(6, "u16", 0);
    expect(acceptChunk(p)).toBe(false);
    expect(firstMissing()).toBe(0);
  });
});
