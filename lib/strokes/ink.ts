/**
 * A stroke sample drawn as ink on paper: the picture a camera would take of the digit written
 * with a pen (`bnn classify --strokes F --ink PEN`), to measure the camera's path on the same
 * digits as the touch path. The panel is scaled so that its longer side is INK_SIDE pixels (the
 * largest square frame the board takes, 128x128 = MAX_FRAME_BYTES); each stroke is a pen of
 * `pen` pixels: dark (INK) within pen/2 of a segment, light paper (PAPER) beyond, a one-pixel
 * linear edge between. A stroke of one point is a dot.
 */
import type { GrayImage } from "../image/decode.ts";
import type { StrokeSample } from "./format.ts";

/** The picture's longer side, pixels. */
export const INK_SIDE = 128;
const INK = 30;
const PAPER = 235;

/** The picture of `sample` with a pen `pen` pixels wide (> 0). */
export function inkPicture(sample: Pick<StrokeSample, "width" | "height" | "strokes">, pen: number): GrayImage {
  const k = INK_SIDE / Math.max(sample.width, sample.height);
  const width = Math.max(1, Math.round(sample.width * k));
  const height = Math.max(1, Math.round(sample.height * k));
  const px = new Uint8Array(width * height).fill(PAPER);
  const half = pen / 2;
  const segment = (ax: number, ay: number, bx: number, by: number) => {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - half - 1)),
      x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + half + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - half - 1)),
      y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + half + 1));
    const dx = bx - ax,
      dy = by - ay,
      len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        // distance from the pixel centre to the segment
        const cx = x + 0.5,
          cy = y + 0.5;
        const t = len2 ? Math.max(0, Math.min(1, ((cx - ax) * dx + (cy - ay) * dy) / len2)) : 0;
        const d = Math.hypot(cx - ax - t * dx, cy - ay - t * dy);
        const cover = Math.max(0, Math.min(1, half + 0.5 - d));
        const v = Math.round(PAPER - cover * (PAPER - INK));
        if (v < px[y * width + x]) px[y * width + x] = v;
      }
    }
  };
  for (const st of sample.strokes) {
    if (st.length === 2) segment((st[0] + 0.5) * k, (st[1] + 0.5) * k, (st[0] + 0.5) * k, (st[1] + 0.5) * k);
    for (let i = 0; i + 3 < st.length; i += 2) segment((st[i] + 0.5) * k, (st[i + 1] + 0.5) * k, (st[i + 2] + 0.5) * k, (st[i + 3] + 0.5) * k);
  }
  return { width, height, pixels: px, format: "pgm" };
}
