/**
 * The text of src/generated/preprocess-fixture.ts (one of the generated files of `bnn regen`): a few
 * simulated camera frames (lib/image/photo.ts) and the 28x28 outputs Node computes for them
 * with src/shared/camera-preprocess.ts, so the DeviceScript test (src/camera/preprocess.test.ts)
 * can check that the VM computes the same bytes.
 */
import { tsHeader } from "./generated-header.ts";
import { join } from "node:path";
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../image/photo.ts";
import { preprocess } from "../../src/shared/camera-preprocess.ts";
import { IMAGE_PIXELS, IMAGE_SIDE, loadMnist } from "../mnist.ts";
import { GENERATED_TS_DIR } from "../paths.ts";

export const CAMERA_FIXTURE_PATH = join(GENERATED_TS_DIR, "preprocess-fixture.ts");
/** MNIST test images in the fixture: a 7, a 2 and a 1 (narrow: its box is not square). */
export const FIXTURE_IMAGES = [0, 1, 2];

function hexLines(bytes: Uint8Array, perLine: number): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += perLine) lines.push("  " + Buffer.from(bytes.subarray(i, i + perLine)).toString("hex"));
  return lines.join("\n");
}

/** The fixture module's text. */
export async function cameraFixtureSource(): Promise<string> {
  const test = loadMnist("test");
  const n = FIXTURE_IMAGES.length;
  const frames = new Uint8Array(n * FRAME_WIDTH * FRAME_HEIGHT);
  const expected = new Uint8Array(n * IMAGE_PIXELS);
  const ink: number[] = [];
  for (const [i, index] of FIXTURE_IMAGES.entries()) {
    const frame = synthesizeFrame(test.images, index * IMAGE_PIXELS, index);
    frames.set(frame, i * frame.length);
    ink.push(await preprocess(frame, FRAME_WIDTH, FRAME_HEIGHT, expected.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)));
  }
  return `${tsHeader("bnn regen", "lib/export/camera-fixture.ts", "src/shared/camera-preprocess.ts")}
// Regenerate: npm run bnn -- regen
// Simulated camera frames (lib/image/photo.ts) of MNIST test images ${FIXTURE_IMAGES.join(", ")} and the outputs
// Node computes for them with src/shared/camera-preprocess.ts.

export const FIXTURE_COUNT = ${n}
export const FIXTURE_WIDTH = ${FRAME_WIDTH}
export const FIXTURE_HEIGHT = ${FRAME_HEIGHT}
/** MNIST test image of each frame. */
export const FIXTURE_IMAGES = [${FIXTURE_IMAGES.join(", ")}]
/** Labels of the images. */
export const FIXTURE_LABELS = [${FIXTURE_IMAGES.map((i) => test.labels[i]).join(", ")}]
/** What preprocess returns for each frame (ink pixels in the bounding box). */
export const FIXTURE_INK = [${ink.join(", ")}]
/** Frames, ${FRAME_WIDTH}x${FRAME_HEIGHT} bytes each (0 = black), one frame row a line. */
export const FIXTURE_FRAMES = hex\`
${hexLines(frames, FRAME_WIDTH)}
\`
/** Expected outputs, ${IMAGE_SIDE}x${IMAGE_SIDE} bytes each (0 = background), one row a line. */
export const FIXTURE_EXPECTED = hex\`
${hexLines(expected, IMAGE_SIDE)}
\`
`;
}
