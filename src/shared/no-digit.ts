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
//   scribble  2 L > 6.5 (W + H)                         (L: the strokes' length, a segment's length
//                                                      taken as max + min / 2 of |dx|, |dy|; W, H:
//                                                      the box: more ink than a digit of its size)
//   line      one stroke, every point within 1 / STRAIGHT_DIV of its chord from the chord, and
//             the chord flatter than 3 in 4 (37 degrees) or S * LINE_SHORT_DIV < P
//
// A digit 1 is a straight stroke too: the MNIST test set's 1s drawn as strokes
// (host/lib/touch/strokes-from-image.ts) that are straight all rise at 45 degrees or more, so a
// straight stroke steeper than 37 degrees and longer than 1/8 of the panel stays a digit. The
// constants were measured against seeded no-digit sets (host/lib/strokes/degenerate.ts) and the
// 10,000 MNIST test digits as strokes: docs/strokes.md, tests/no-digit.test.ts.
//
// Cost: one pass over the points (a bounding box and a length: about 15 operations a point, no
// call) and, for a single stroke, a second pass over it (a cross product a point).

/** Every reason a result line gives for "no digit": the stroke reasons below and the camera's. */
export const NO_DIGIT_REASONS = ["empty", "dot", "small", "line", "scribble", "faint"]

/** dot: the points' bounding box is at most 1 / DOT_DIV of the panel's shorter side. */
export const DOT_DIV = 40
/** small: the bounding box's longer side is under this percentage of the panel's shorter side. */
export const SMALL_PERCENT = 6
/** scribble: the strokes are longer than SCRIBBLE_HALVES / 2 times the mean side (W + H) / 2 of the box. */
export const SCRIBBLE_HALVES = 13
/** line: the farthest point is at most 1 / STRAIGHT_DIV of the chord away from it. */
export const STRAIGHT_DIV = 8
/** line: a straight stroke whose longer side is under 1 / LINE_SHORT_DIV of the panel, at any angle. */
export const LINE_SHORT_DIV = 8

/**
 * Why `strokes` drawn on a `panelWidth` x `panelHeight` panel are no digit: "empty", "dot",
 * "small", "scribble" or "line"; "" for a plausible digit.
 */
export function strokeNoDigit(strokes: number[][], panelWidth: number, panelHeight: number): string {
    const panel = panelWidth < panelHeight ? panelWidth : panelHeight
    let minX = 0
    let minY = 0
    let maxX = -1
    let maxY = -1
    let points = 0
    let length = 0
    let inked = 0
    let last = -1
    for (let s = 0; s < strokes.length; s++) {
        const st = strokes[s]
        const n = st.length
        if (n < 2) continue
        inked++
        last = s
        let px = st[0]
        let py = st[1]
        if (points === 0) {
            minX = px
            maxX = px
            minY = py
            maxY = py
        }
        points += n >> 1
        for (let i = 0; i + 1 < n; i += 2) {
            const x = st[i]
            const y = st[i + 1]
            if (x < minX) minX = x
            else if (x > maxX) maxX = x
            if (y < minY) minY = y
            else if (y > maxY) maxY = y
            let dx = x - px
            let dy = y - py
            if (dx < 0) dx = -dx
            if (dy < 0) dy = -dy
            length += dx > dy ? dx + (dy >> 1) : dy + (dx >> 1)
            px = x
            py = y
        }
    }
    if (points === 0) return "empty"
    const w = maxX - minX
    const h = maxY - minY
    const side = w > h ? w : h
    if (side * DOT_DIV <= panel) return "dot"
    if (side * 100 < panel * SMALL_PERCENT) return "small"
    if (4 * length > SCRIBBLE_HALVES * (w + h)) return "scribble"
    if (inked !== 1) return ""
    // one stroke: is it straight (every point near its chord)?
    const st = strokes[last]
    const n = st.length
    const x0 = st[0]
    const y0 = st[1]
    const cx = st[n - 2] - x0
    const cy = st[n - 1] - y0
    const chord2 = cx * cx + cy * cy
    if (chord2 === 0) return ""
    // |cross| = distance from the chord times the chord's length
    for (let i = 2; i + 3 < n; i += 2) {
        let c = cx * (st[i + 1] - y0) - cy * (st[i] - x0)
        if (c < 0) c = -c
        if (c * STRAIGHT_DIV > chord2) return ""
    }
    const ax = cx < 0 ? -cx : cx
    const ay = cy < 0 ? -cy : cy
    if (4 * ay < 3 * ax || side * LINE_SHORT_DIV < panel) return "line"
    return ""
}
