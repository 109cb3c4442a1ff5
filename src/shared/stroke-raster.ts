// Touch strokes -> the 28x28 binary input of the network, the way MNIST digits were framed: the
// strokes are deskewed (sheared so that their slant, measured by the second moments of the
// points, is upright: italic and hurried hands look like upright ones), their bounding box is
// scaled so its longer side (pen included) is 20 px, aspect ratio kept, and the drawing is moved
// so that its centre of mass lands on pixel (14, 14).
//
// Plain TypeScript importing only deskew.ts, shared by the DeviceScript program, Node (host tools,
// simulator, tests) and, line for line, the C of the classifier service (c/bnn_raster.h):
// integer arithmetic only, every division floored with all operands non-negative or handled, so
// all three give the same bits.
//
// Strokes are flat point lists in panel coordinates [x0, y0, x1, y1, ...]; a stroke of one point
// is a dot. The pen is a disc of radius PEN_RADIUS (in 1/16 px): a pixel is ink when its centre
// lies within the pen of a point of the strokes, the points being the stroke points and points
// interpolated between them at most STEP apart. The work is one row span per disc and pen row
// (a disc is about 3 rows), so it grows with the length of the strokes, not with a canvas; the
// result is the packed input bits (element 28 * row + column), with no grayscale pass.
//
// Coordinates: "fine" units are 1/16 output pixel. A point (clamped to the panel) is first
// sheared, exactly, in 1/SHEAR_ONE panel units: X = SHEAR_ONE * (x - minX) - shear * (y - minY),
// Y = SHEAR_ONE * (y - minY); then it maps to fine coordinates by
//   f = round((X - lowX) * SPAN / side),  round(Y * SPAN / side)   (SPAN = 20 * 16 - 2 * PEN_RADIUS)
// where lowX is the smallest sheared X and side the longer side of the sheared points' box, in
// the same units; the pixel of column c covers [16c, 16c + 16), its centre is 16c + 8.

import { roundedShear, SHEAR_ONE } from "./deskew.js"

/** Output grid side and bits. */
export const RASTER_SIDE = 28
export const RASTER_BITS = 784
/** Fine units per output pixel. */
export const FINE = 16
/** The longer side of the ink's bounding box, pen included, in output pixels. */
export const BOX_PIXELS = 20
/** Pen radius in fine units (1.4 px: about as wide as an MNIST stroke above the input threshold). */
export const PEN_RADIUS = 22
/** Largest distance between two disc centres along a stroke, fine units. */
export const STEP = 8
/** Fine coordinate of the pixel centre the centre of mass is moved to (pixel 14). */
export const CENTRE = 14 * 16 + 8
/** Largest number of discs drawn: caps the work for a scribble (600 discs stay well inside the DeviceScript VM's 128k steps without a yield). */
export const MAX_DISCS = 600
/** Largest deskew shear either way, in 1/SHEAR_ONE (deskew.ts; SHEAR_ONE: 45 degrees). */
export const SHEAR_MAX = 256
/** Largest reduced coordinate in the moment sums (coordinates are divided down to it). */
export const MOMENT_RANGE = 255
/** Points the deskew moments are taken from (the first ones; a finger's digit has far fewer). */
export const MOMENT_POINTS = 16384

/** Index access to numbers: a DeviceScript Buffer, a Node typed array, an array. */
export interface Bits {
    [index: number]: number
    readonly length: number
}

function clampInt(v: number, lo: number, hi: number): number {
    return v < lo ? lo : v > hi ? hi : v
}

/** Set bits of a 32-bit word (SWAR). */
function bitCount(x: number): number {
    x = x - ((x >>> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
    x = (x + (x >>> 4)) & 0x0f0f0f0f
    return Math.imul(x, 0x01010101) >>> 24
}

/** Half-width of the pen, in fine units, at each vertical distance 0..PEN_RADIUS from its centre. */
function penSpans(): number[] {
    const out: number[] = []
    const r2 = PEN_RADIUS * PEN_RADIUS
    for (let dy = 0; dy <= PEN_RADIUS; dy++) {
        // largest h with h^2 + dy^2 <= r^2
        let h = 0
        while ((h + 1) * (h + 1) + dy * dy <= r2) h++
        out.push(h)
    }
    return out
}

const SPANS = penSpans()

export interface RasterInfo {
    /** Points read (clamped to the panel). */
    points: number
    /** Bounding box of the deskewed points, panel units (width and height 0 for a dot; -1 with no points). */
    boxWidth: number
    boxHeight: number
    /** Discs drawn. */
    discs: number
    /** Ink pixels set. */
    ink: number
}

/**
 * Rasterizes `strokes` drawn on a `panelWidth` x `panelHeight` panel into the packed input bits
 * `out` (25 u32 words as 100 little-endian bytes: element e is bit e & 7 of byte e >> 3; cleared
 * first). Returns what was drawn; with no points, `out` stays all 0.
 */
export function rasterizeBits(strokes: number[][], panelWidth: number, panelHeight: number, out: Bits): RasterInfo {
    for (let i = 0; i < 100; i++) out[i] = 0
    const maxX = panelWidth - 1
    const maxY = panelHeight - 1
    // (written for the DeviceScript VM: function calls cost more than the arithmetic there, so
    // clamps and divisions are inline; every operand of a shift-division below is non-negative)
    // 1. bounding box
    let minX = panelWidth
    let minY = panelHeight
    let boxX = -1
    let boxY = -1
    let points = 0
    for (let s = 0; s < strokes.length; s++) {
        const st = strokes[s]
        for (let i = 0; i + 1 < st.length; i += 2) {
            let x = st[i]
            let y = st[i + 1]
            x = x < 0 ? 0 : x > maxX ? maxX : x
            y = y < 0 ? 0 : y > maxY ? maxY : y
            if (x < minX) minX = x
            if (x > boxX) boxX = x
            if (y < minY) minY = y
            if (y > boxY) boxY = y
            points++
        }
    }
    if (points === 0) return { points: 0, boxWidth: -1, boxHeight: -1, discs: 0, ink: 0 }

    // 1b. deskew: the shear that makes the points' second moments upright,
    //   shear = round(SHEAR_ONE * cov(x, y) / var(y)), limited to +-SHEAR_MAX,
    //   from the first MOMENT_POINTS points, with coordinates measured from the box corner and
    //   divided (floored) by q, the power of two that keeps them within MOMENT_RANGE: the sums
    //   (n * sum(ab) - sum(a) * sum(b), times 2 * SHEAR_ONE) stay below 2^53: exact in doubles and in the C's int64.
    //   A point then lies at X = SHEAR_ONE * (x - minX) - shear * (y - minY), in 1/SHEAR_ONE
    //   panel units, exactly; everything below is a ratio of such differences, so the raster
    //   is the same when the drawing is moved, or scaled by 2 while q stays 1.
    let q = 1
    while (boxX - minX > MOMENT_RANGE * q || boxY - minY > MOMENT_RANGE * q) q = q * 2
    let m = 0
    let sa = 0
    let sb = 0
    let sab = 0
    let sbb = 0
    for (let s = 0; s < strokes.length && m < MOMENT_POINTS; s++) {
        const st = strokes[s]
        for (let i = 0; i + 1 < st.length && m < MOMENT_POINTS; i += 2) {
            let x = st[i]
            let y = st[i + 1]
            x = x < 0 ? 0 : x > maxX ? maxX : x
            y = y < 0 ? 0 : y > maxY ? maxY : y
            const da = Math.floor((x - minX) / q)
            const db = Math.floor((y - minY) / q)
            sa += da
            sb += db
            sab += da * db
            sbb += db * db
            m++
        }
    }
    const cov = m * sab - sa * sb
    const vary = m * sbb - sb * sb
    const shear = roundedShear(cov, vary, SHEAR_MAX)
    // the sheared points' x range, in 1/SHEAR_ONE panel units
    let lowX = 0x7fffffff
    let highX = -0x7fffffff
    for (let s = 0; s < strokes.length; s++) {
        const st = strokes[s]
        for (let i = 0; i + 1 < st.length; i += 2) {
            let x = st[i]
            let y = st[i + 1]
            x = x < 0 ? 0 : x > maxX ? maxX : x
            y = y < 0 ? 0 : y > maxY ? maxY : y
            const sx = SHEAR_ONE * (x - minX) - shear * (y - minY)
            if (sx < lowX) lowX = sx
            if (sx > highX) highX = sx
        }
    }
    const wideX = highX - lowX
    const tallY = SHEAR_ONE * (boxY - minY)
    // the box of the deskewed points, rounded to panel units (for RasterInfo)
    const boxWidth = Math.floor((2 * wideX + SHEAR_ONE) / (2 * SHEAR_ONE))
    const boxHeight = boxY - minY
    let side = wideX > tallY ? wideX : tallY
    if (side < SHEAR_ONE) side = SHEAR_ONE
    const span = BOX_PIXELS * FINE - 2 * PEN_RADIUS
    const span2 = 2 * span
    const side2 = 2 * side

    // 2. disc centres (fine units, before the move) and their sum for the centre of mass
    const xs: number[] = []
    const ys: number[] = []
    let n = 0
    let sumX = 0
    let sumY = 0
    for (let s = 0; s < strokes.length && n < MAX_DISCS; s++) {
        const st = strokes[s]
        let px = -1
        let py = -1
        for (let i = 0; i + 1 < st.length && n < MAX_DISCS; i += 2) {
            let x = st[i]
            let y = st[i + 1]
            x = x < 0 ? 0 : x > maxX ? maxX : x
            y = y < 0 ? 0 : y > maxY ? maxY : y
            // round((p - min) * span / side), in 1/SHEAR_ONE panel units
            const fx = Math.floor(((SHEAR_ONE * (x - minX) - shear * (y - minY) - lowX) * span2 + side) / side2)
            const fy = Math.floor((SHEAR_ONE * (y - minY) * span2 + side) / side2)
            if (px >= 0) {
                // from the previous point (drawn) towards this one: k - 1 points in between
                const dx = fx - px
                const dy = fy - py
                const adx = dx < 0 ? -dx : dx
                const ady = dy < 0 ? -dy : dy
                const k = Math.floor(((adx > ady ? adx : ady) + STEP - 1) / STEP)
                const k2 = 2 * k
                for (let t = 1; t < k && n < MAX_DISCS; t++) {
                    // round(p + d * t / k), d may be negative: floor of (2 d t + k) / (2 k)
                    const ix = px + Math.floor((2 * dx * t + k) / k2)
                    const iy = py + Math.floor((2 * dy * t + k) / k2)
                    xs.push(ix)
                    ys.push(iy)
                    sumX += ix
                    sumY += iy
                    n++
                }
            }
            if (n < MAX_DISCS && (fx !== px || fy !== py)) {
                xs.push(fx)
                ys.push(fy)
                sumX += fx
                sumY += fy
                n++
            }
            px = fx
            py = fy
        }
    }

    // 3. the move: centre of mass to CENTRE, kept inside the grid (pen included)
    const extentX = Math.floor((wideX * span2 + side) / side2)
    const extentY = Math.floor((tallY * span2 + side) / side2)
    const lastFine = RASTER_SIDE * FINE - 1
    let offX = CENTRE - Math.floor((2 * sumX + n) / (2 * n))
    let offY = CENTRE - Math.floor((2 * sumY + n) / (2 * n))
    offX = clampInt(offX, PEN_RADIUS, lastFine - PEN_RADIUS - extentX)
    offY = clampInt(offY, PEN_RADIUS, lastFine - PEN_RADIUS - extentY)

    // 4. draw: per disc and pen row, one span of columns ORed into the row. cx, cy >= PEN_RADIUS
    //    and the half-width h <= PEN_RADIUS, so the numerators of the >> 4 below are >= 0.
    const rows: number[] = []
    for (let r = 0; r < RASTER_SIDE; r++) rows.push(0)
    for (let d = 0; d < n; d++) {
        const cx = xs[d] + offX
        const cy = ys[d] + offY
        // rows whose centre 16 r + 8 is within PEN_RADIUS of cy
        const r0 = (cy - PEN_RADIUS - 8 + FINE - 1) >> 4
        let r1 = (cy + PEN_RADIUS - 8) >> 4
        if (r1 > RASTER_SIDE - 1) r1 = RASTER_SIDE - 1
        for (let r = r0; r <= r1; r++) {
            const dyc = r * FINE + 8 - cy
            const h = SPANS[dyc < 0 ? -dyc : dyc]
            // columns whose centre 16 c + 8 is in [cx - h, cx + h]
            const c0 = (cx - h - 8 + FINE - 1) >> 4
            let c1 = (cx + h - 8) >> 4
            if (c1 > RASTER_SIDE - 1) c1 = RASTER_SIDE - 1
            if (c0 <= c1) rows[r] = rows[r] | (((1 << (c1 + 1)) - 1) ^ ((1 << c0) - 1))
        }
    }

    // 5. pack the rows into input words (element 28 r + c is bit e & 31 of word e >> 5), then
    //    bytes, little-endian: a row of 28 bits lands in one word or straddles two
    const words: number[] = []
    for (let w = 0; w < 25; w++) words.push(0)
    let ink = 0
    for (let r = 0; r < RASTER_SIDE; r++) {
        const row = rows[r]
        if (row === 0) continue
        ink += bitCount(row)
        const e = r * RASTER_SIDE
        const w = e >> 5
        const lo = e & 31
        words[w] = words[w] | (row << lo)
        if (lo > 32 - RASTER_SIDE) words[w + 1] = words[w + 1] | (row >>> (32 - lo))
    }
    for (let w = 0; w < 25; w++) {
        const v = words[w]
        out[4 * w] = v & 0xff
        out[4 * w + 1] = (v >>> 8) & 0xff
        out[4 * w + 2] = (v >>> 16) & 0xff
        out[4 * w + 3] = (v >>> 24) & 0xff
    }
    return { points, boxWidth, boxHeight, discs: n, ink }
}

/** The pair that ends a stroke in the upload form of strokes. */
export const PEN_UP = 0xffff

/** Pairs (points and stroke ends) of the upload form of `strokes`. */
export function strokePairCount(strokes: number[][]): number {
    let n = 0
    for (let s = 0; s < strokes.length; s++) n += (strokes[s].length >> 1) + 1
    return n
}

/**
 * Strokes in the classifier service's upload form (services/bnnclassifier.md, c/bnn_raster.h):
 * u16 x, y pairs, little-endian, each stroke followed by the pair PEN_UP, PEN_UP. Points are
 * clamped to 0..65534 (65535 is the marker). `out` holds 4 * strokePairCount(strokes) bytes.
 */
export function encodeStrokes(strokes: number[][], out: Bits): number {
    let o = 0
    for (let s = 0; s < strokes.length; s++) {
        const st = strokes[s]
        for (let i = 0; i + 1 < st.length; i += 2) {
            const x = clampInt(st[i], 0, PEN_UP - 1)
            const y = clampInt(st[i + 1], 0, PEN_UP - 1)
            out[o] = x & 0xff
            out[o + 1] = x >> 8
            out[o + 2] = y & 0xff
            out[o + 3] = y >> 8
            o += 4
        }
        out[o] = 0xff
        out[o + 1] = 0xff
        out[o + 2] = 0xff
        out[o + 3] = 0xff
        o += 4
    }
    return o >> 2
}
