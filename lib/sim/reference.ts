/**
 * What `bnn sim` expects of each result line of the simulated board: the host's reference for the
 * same input, computed by the board's own input paths on the host (lib/classify.ts, the
 * ones `bnn classify` runs). MNIST test digits drawn as strokes and replayed stroke files: the
 * touch path on the simulated panel's strokes; the simulated camera: the camera path on the frame
 * it serves; the sample digits compiled into the program: the reference inference on their bits;
 * --draw: the drawing session's reference for the page's strokes (lib/draw/reference.ts,
 * the touch path too).
 */
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../image/photo.ts";
import { classifyFrame, classifyStrokes, type Verdict } from "../classify.ts";
import type { DrawSession } from "../draw/session.ts";
import { IMAGE_PIXELS, loadMnist } from "../mnist.ts";
import type { Model } from "../model/format.ts";
import { classifyImage } from "../model/infer.ts";
import type { ParsedResult } from "../monitor/parse.ts";
import type { StrokeSample } from "../strokes/format.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../strokes/from-image.ts";
import { scoreFields } from "../../src/shared/stream-format.ts";

/** The program's input sources (src/app.ts). */
export type SimSource = "touch" | "camera" | "samples";

export interface Expected {
  /** The input's label; -1 when unknown (stroke samples without one, drawn digits). */
  label: number;
  /** What the board's path gives for the input. */
  verdict: Verdict;
}

/** The reference for result `seq`; undefined for a digit that was never input. */
export type Reference = (seq: number) => Promise<Expected | undefined>;

/**
 * The reference for a run whose input device serves `source`'s digits from MNIST test image
 * `first` on (samples: the program's, test images 0..), or replays the stroke samples `replay`
 * on the simulated panel (DEFAULT_PANEL_SIZE square).
 */
export function inputReference(model: Model, source: SimSource, first: number, replay?: StrokeSample[]): Reference {
  if (replay) {
    return async (seq) => {
      const sample = replay[seq];
      return sample && { label: sample.label ?? -1, verdict: classifyStrokes(model, sample) };
    };
  }
  const test = loadMnist("test");
  const verdict = async (image: number): Promise<Verdict> => {
    if (source === "samples") {
      const r = classifyImage(model, test.images, image);
      return { digit: r.digit, noDigit: null, scores: Array.from(r.scores) };
    }
    // the simulated panel draws strokesFromImage (devices/touch.ts), the camera synthesizeFrame (devices/camera.ts)
    if (source === "touch")
      return classifyStrokes(model, { strokes: strokesFromImage(test.images, image), width: DEFAULT_PANEL_SIZE, height: DEFAULT_PANEL_SIZE });
    return classifyFrame(model, synthesizeFrame(test.images, image * IMAGE_PIXELS, image), FRAME_WIDTH, FRAME_HEIGHT);
  };
  return async (seq) => ({ label: test.labels[first + seq], verdict: await verdict(first + seq) });
}

/** --draw: the reference the drawing session computed for digit `seq` of the page (label unknown). */
export function sessionReference(session: DrawSession): Reference {
  return async (seq) => {
    const verdict = session.expected(seq);
    return verdict && { label: -1, verdict };
  };
}

/**
 * The result line says what the reference says: the same no-digit reason, or the same digit,
 * runners-up and CRC of all ten scores (what the line carries of them), at the model's score shift.
 */
export function agreesWithReference(r: ParsedResult, v: Verdict, scoreShift: number): boolean {
  if (v.noDigit !== null) return r.digit < 0 && r.noDigit === v.noDigit;
  const want = scoreFields(v.scores!, scoreShift);
  return r.digit === want.digit && r.scoresCrc === want.scoresCrc && r.runnersUp.join() === want.runnersUp.join();
}
