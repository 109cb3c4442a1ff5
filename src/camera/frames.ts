// Client side of the digit camera (services/digitcamera.md): asks for a frame and reassembles its
// `frame_chunk` reports into one Buffer. Chunks may come in any order and twice; when they stop
// coming before the frame is complete (lost packets), the frame is asked for again with the same
// frame id from the first missing byte, which makes the camera resend it from its buffer.
// (Module state, not a class: DeviceScript closures cannot capture `this`.)
import * as ds from "@devicescript/core";
import { CHUNK_HEADER_SIZE, MAX_FRAME_BYTES, readChunkHeader } from "../shared/camera-chunks";

export const cameraRole = new ds.DigitCamera();

/** Frame id being reassembled; -1 when none. */
let wantId = -1;
let frame: Buffer = undefined;
/** One byte per frame byte: 1 once received. */
let got: Buffer = undefined;
let lastChunkAt = 0;
/** Capture commands sent, including re-requests (diagnostics). */
let requestsSent = 0;

cameraRole.report().subscribe((pkt) => {
  if (pkt.spec.code === ds.DigitCameraCodes.ReportFrameChunk) acceptChunk(pkt.payload);
});

/** Starts reassembling frame `frameId`; chunks of any other frame are ignored from now on. */
export function beginFrame(frameId: number) {
  wantId = frameId;
  frame = undefined;
  got = undefined;
}

/**
 * Stores one `frame_chunk` payload of the frame being reassembled. Returns false (and changes
 * nothing) for another frame id, a malformed chunk, or a chunk whose total size differs from the
 * earlier chunks'.
 */
export function acceptChunk(p: Buffer): boolean {
  const h = readChunkHeader(p);
  if (wantId < 0 || !h || h.frameId !== wantId) return false;
  const offset = h.offset;
  const total = h.total;
  const n = h.pixels;
  if (total === 0 || total > MAX_FRAME_BYTES || offset + n > total) return false;
  if (frame && frame.length !== total) return false;
  if (!frame) {
    frame = Buffer.alloc(total);
    got = Buffer.alloc(total);
  }
  frame.blitAt(offset, p, CHUNK_HEADER_SIZE, n);
  got.fillAt(offset, n, 1);
  lastChunkAt = ds.millis();
  return true;
}

/** Offset of the first byte not received yet: 0 before any chunk, -1 when the frame is complete. */
export function firstMissing(): number {
  if (!got) return 0;
  return got.indexOf(0);
}

/** The reassembled frame once complete, else undefined. */
export function completeFrame(): Buffer {
  return got && got.indexOf(0) < 0 ? frame : undefined;
}

/** Capture commands sent since the program started, including re-requests. */
export function captureRequests(): number {
  return requestsSent;
}

/** Waits up to `waitMs` for the camera to be bound; true when it is. */
export async function cameraAvailable(waitMs: number): Promise<boolean> {
  for (let t = 0; t < waitMs && !cameraRole.isBound; t += 50) await ds.sleep(50);
  return cameraRole.isBound;
}

/**
 * Captures frame `frameId` and returns its bytes (`width * height`, row-major, 0 = black), or
 * undefined when it could not be completed within `timeoutMs`. When no chunk arrives for
 * `idleMs`, asks again from the first missing byte.
 */
export async function captureFrame(frameId: number, timeoutMs: number, idleMs: number): Promise<Buffer> {
  beginFrame(frameId);
  const t0 = ds.millis();
  while (ds.millis() - t0 < timeoutMs) {
    if (!cameraRole.isBound) {
      await ds.sleep(20);
      continue;
    }
    const from = firstMissing();
    requestsSent++;
    lastChunkAt = ds.millis();
    await cameraRole.capture(frameId, from);
    while (!completeFrame() && ds.millis() - lastChunkAt < idleMs && ds.millis() - t0 < timeoutMs) await ds.sleep(2);
    const f = completeFrame();
    if (f) {
      wantId = -1;
      return f;
    }
  }
  wantId = -1;
  return undefined;
}
