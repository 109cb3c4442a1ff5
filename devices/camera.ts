/**
 * Simulated Digit Camera (services/digitcamera.md): serves photographs of MNIST test digits
 * (lib/image/photo.ts: dark ink on light paper, 64x48 grayscale, the same bytes on every run)
 * as `frame_chunk` reports (src/shared/camera-chunks.ts).
 *
 *   node --import tsx devices/camera.ts --url ws://127.0.0.1:<port> [--first 0] [--count 300] [--chunk-gap-ms 2]
 *
 * `capture(frame_id, offset)` serves MNIST test image first + frame_id % count. Prints
 * "camera ready" once connected.
 */
import { JDServiceServer, Packet } from "jacdac-ts";
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../lib/image/photo.ts";
import { UserError } from "../lib/errors.ts";
import { IMAGE_PIXELS, loadMnist, TEST_IMAGES } from "../lib/mnist.ts";
import { CAMERA } from "../lib/services.ts";
import { encodeChunk, MAX_CHUNK_PIXELS } from "../src/shared/camera-chunks.ts";
import { isMain, runDevice } from "./device.ts";

/** The `frame_chunk` payloads covering bytes offset..end of `frame`, in order. */
export function frameChunks(frameId: number, frame: Uint8Array, offset = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = offset; at < frame.length; at += MAX_CHUNK_PIXELS) out.push(encodeChunk(frameId, frame, at, Math.min(MAX_CHUNK_PIXELS, frame.length - at)));
  return out;
}

export interface CameraOptions {
  /** MNIST test images (count * 784 bytes) and the range served. */
  images: Uint8Array;
  first: number;
  count: number;
  /** Pause between two chunk reports (a real bus needs ~2.5 ms per full packet). */
  chunkGapMs?: number;
}

export class CameraServer extends JDServiceServer {
  private lastId = -1;
  private frame: Uint8Array | undefined;
  frameCount = 0;

  constructor(private readonly options: CameraOptions) {
    super(CAMERA.serviceClass);
  }

  /** The frame for `frameId`: MNIST test image first + frameId % count. */
  frameFor(frameId: number): Uint8Array {
    const index = this.options.first + (frameId % this.options.count);
    return synthesizeFrame(this.options.images, index * IMAGE_PIXELS, index);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    if (pkt.serviceCommand === CAMERA.cmdCapture && !pkt.isRegisterGet) {
      const d = pkt.data;
      if (d.length < 4) return;
      const dv = new DataView(d.buffer, d.byteOffset, d.length);
      const frameId = dv.getUint32(0, true);
      const offset = d.length >= 6 ? dv.getUint16(4, true) : 0;
      if (frameId !== this.lastId || !this.frame) {
        this.frame = this.frameFor(frameId);
        this.lastId = frameId;
        this.frameCount++;
      }
      const gap = this.options.chunkGapMs ?? 0;
      for (const chunk of frameChunks(frameId, this.frame, offset)) {
        await this.sendPacketAsync(Packet.from(CAMERA.reportFrameChunk, chunk));
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      }
      return;
    }
    if (pkt.isRegisterGet) {
      const value = this.registerBytes(pkt.registerIdentifier);
      if (value) {
        await this.sendPacketAsync(Packet.from(pkt.serviceCommand, value));
        return;
      }
    }
    await super.handlePacket(pkt);
  }

  private registerBytes(reg: number): Uint8Array | undefined {
    const u16 = (v: number) => new Uint8Array([v & 255, v >> 8]);
    const u32 = (v: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v >>> 0, true);
      return b;
    };
    switch (reg) {
      case CAMERA.regWidth:
        return u16(FRAME_WIDTH);
      case CAMERA.regHeight:
        return u16(FRAME_HEIGHT);
      case CAMERA.regFrameCount:
        return u32(this.frameCount);
      case CAMERA.regStoredFrames:
        return u32(this.options.count);
      default:
        return undefined;
    }
  }
}

if (isMain(import.meta.url)) {
  void runDevice({
    name: "camera",
    summary: "a camera photographing MNIST test digits on paper, as a Jacdac device",
    options: {
      first: { type: "int", description: "first MNIST test image served", default: 0, min: 0, max: TEST_IMAGES - 1 },
      count: { type: "int", description: "images served (frame k is image first + k % count)", default: 300, min: 1, max: TEST_IMAGES },
      chunkGapMs: { type: "int", description: "pause between two chunk reports, ms", default: 2, min: 0, max: 1000 },
    },
    async create(o) {
      if (o.first + o.count > TEST_IMAGES) throw new UserError(`--first ${o.first} --count ${o.count} goes past the ${TEST_IMAGES} MNIST test images`, 2);
      const server = new CameraServer({ images: loadMnist("test").images, first: o.first, count: o.count, chunkGapMs: o.chunkGapMs });
      return { template: "digit-camera", description: `Digit camera (MNIST test ${o.first}..${o.first + o.count - 1})`, servers: [server] };
    },
    async connected() {
      console.log("camera ready");
    },
  });
}
