// "No digit": touch strokes that cannot be a digit, told apart before they are classified (a BNN
// always answers one of ten digits, also for a tap or a scribble). Plain TypeScript with no
// imports and integer arithmetic only, shared by the DeviceScript program (src/app.ts: before the
// native and the bytecode classifier), `bnn classify` and the tests; the reasons are the ones the
// result line carries (src/shared/stream-format.ts, docs/serial-protocol.md).
//
// Strokes are the rasterizer's flat point lists in panel coordinates [x0, y0, x1, y1, ...]. With
// S the longer side of the points' bounding box and P the panel's shorter side:
//
//   empty     no point
//   dot       S * DOT_DIV <= P                          (all points within 2.5 % of the panel)
//   small     S * 100 < P * SMALL_PERCENT               (the drawing is under 6 % of the panel)
//   taps      2 T > N and L * TAP_DIV <= N P             (L: the strokes' length, a segment's
//                                                      length taken as max + min / 2 of |dx|,
//                                                      |dy|; N: the strokes with a point; T: the
//                                                      taps among them, a stroke whose ink I has
//                                                      I * TAP_DIV <= P, a dot's: most strokes
//                                                      are taps and so is the mean stroke)
//   scribble  2 L > 6.5 (W + H)                         (W, H: the box's sides: more ink than a
//                                                      digit of its size)
//   line      one stroke, every point within 1 / STRAIGHT_DIV of its chord from the chord, and
//             the chord flatter than 3 in 4 (37 degrees) or S * LINE_SHORT_DIV < P
//
// The checks run in that order (taps before scribble: a cloud of a thousand tiny dashes has the
// ink of a scribble, and is taps). Taps are spread beyond a dot and have no ink (issue 21: 5 to a
// million taps over the panel were read as digits). A digit's ink is about its box's longer side
// or more (connected ink spans its box), so its strokes are not taps and their mean is no tap's
// either. A single stroke is never taps (a stroke with a tap's ink fits in a dot). Both halves of
// the rule are needed: the thinned MNIST digits have specks (a digit and two one-point strokes:
// most strokes taps, but the mean ink 12.7 taps' or more) and breaks (a 1 in four pieces, two of
// them taps: the mean ink 1.1 taps', but not most strokes taps). The pen digits have neither
// (their least mean ink is 6.5 taps'), the Hershey set no tap at all.
//
// A digit 1 is a straight stroke too: the MNIST test set's 1s drawn as strokes
// (lib/strokes/from-image.ts) that are straight all rise at 45 degrees or more, so a
// straight stroke steeper than 37 degrees and longer than 1/8 of the panel stays a digit. The
// constants were measured against seeded no-digit sets (lib/strokes/degenerate.ts), the
// 10,000 MNIST test digits as strokes, the pen digits (as written and reshaped as the trainer does)
// and the Hershey set: docs/strokes.md, tests/no-digit.test.ts.
//
// Cost: one pass over the points (a bounding box and a length: about 15 operations a point, no
// call; a compare of its ink a stroke, a one-point stroke only its box) and, for a single stroke,
// a second pass over it (a cross product a point). No allocation: a million one-point strokes
// take one pass (10-20 ms in Node); the program's most points, 1,000 one-point taps, take under
// half the DeviceScript VM's steps without a yield (src/touch/no-digit.test.ts).

/** Every reason a result line gives for "no digit": the stroke reasons below and the camera's. */
export const NO_DIGIT_REASONS = ["empty", "dot", "small", "line", "scribble", "taps", "faint"];

/** dot: the points' bounding box is at most 1 / DOT_DIV of the panel's shorter side. */
export const DOT_DIV = 40;
/** small: the bounding box's longer side is under this percentage of the panel's shorter side. */
export const SMALL_PERCENT = 6;
/** scribble: the strokes are longer than SCRIBBLE_HALVES / 2 times the mean side (W + H) / 2 of the box. */
export const SCRIBBLE_HALVES = 13;
/** taps: a stroke with at most 1 / TAP_DIV of the panel's shorter side of ink is a tap (the dot's size, DOT_DIV). */
export const TAP_DIV = 40;
/** line: the farthest point is at most 1 / STRAIGHT_DIV of the chord away from it. */
export const STRAIGHT_DIV = 8;
/** line: a straight stroke whose longer side is under 1 / LINE_SHORT_DIV of the panel, at any angle. */
export const LINE_SHORT_DIV = 8;

/**
 * Why `strokes` drawn on a `panelWidth` x `panelHeight` panel are no digit: "empty", "dot",
 * "small", "taps", "scribble" or "line"; "" for a plausible digit.
 */
export function strokeNoDigit(strokes: number[][], panelWidth: number, panelHeight: number): string {
  const panel = panelWidth < panelHeight ? panelWidth : panelHeight;
  const count = strokes.length;
  // the first stroke with a point starts the box (and is the one stroke when there is one)
  let first = 0;
  while (first < count && strokes[first].length < 2) first++;
  if (first === count) return "empty";
  let minX = strokes[first][0];
  let minY = strokes[first][1];
  let maxX = minX;
  let maxY = minY;
  let length = 0;
  let inked = 0;
  let taps = 0;
  for (let s = first; s < count; s++) {
    const st = strokes[s];
    const n = st.length;
    if (n < 2) continue;
    inked++;
    let px = st[0];
    let py = st[1];
    if (px < minX) minX = px;
    else if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    else if (py > maxY) maxY = py;
    // a one-point stroke is a tap (and the cheapest: the program may hold 1,000 of them)
    if (n === 2) {
      taps++;
      continue;
    }
    const before = length;
    for (let i = 2; i + 1 < n; i += 2) {
      const x = st[i];
      const y = st[i + 1];
      if (x < minX) minX = x;
      else if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      else if (y > maxY) maxY = y;
      let dx = x - px;
      let dy = y - py;
      if (dx < 0) dx = -dx;
      if (dy < 0) dy = -dy;
      length += dx > dy ? dx + (dy >> 1) : dy + (dx >> 1);
      px = x;
      py = y;
    }
    if ((length - before) * TAP_DIV <= panel) taps++;
  }
  const w = maxX - minX;
  const h = maxY - minY;
  const side = w > h ? w : h;
  if (side * DOT_DIV <= panel) return "dot";
  if (side * 100 < panel * SMALL_PERCENT) return "small";
  if (2 * taps > inked && length * TAP_DIV <= inked * panel) return "taps";
  if (4 * length > SCRIBBLE_HALVES * (w + h)) return "scribble";
  if (inked !== 1) return "";
  // one stroke: is it straight (every point near its chord)?
  const st = strokes[first];
  const n = st.length;
  const x0 = st[0];
  const y0 = st[1];
  const cx = st[n - 2] - x0;
  const cy = st[n - 1] - y0;
  const chord2 = cx * cx + cy * cy;
  if (chord2 === 0) return "";
  // |cross| = distance from the chord times the chord's length
  for (let i = 2; i + 3 < n; i += 2) {
    let c = cx * (st[i + 1] - y0) - cy * (st[i] - x0);
    if (c < 0) c = -c;
    if (c * STRAIGHT_DIV > chord2) return "";
  }
  const ax = cx < 0 ? -cx : cx;
  const ay = cy < 0 ? -cy : cy;
  if (4 * ay < 3 * ax || side * LINE_SHORT_DIV < panel) return "line";
  return "";
}
