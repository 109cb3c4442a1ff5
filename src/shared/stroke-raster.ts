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

/** The longer side of the box, pen excluded, in fine units: where `side` maps to. */
const SPAN = BOX_PIXELS * FINE - 2 * PEN_RADIUS

/**
 * What the steps of rasterizeBits hand on besides the strokes and the disc centres, each step
 * filling its part (the C's bnn_raster_state_t). Points are clamped to 0..maxX, 0..maxY;
 * sheared coordinates are in 1/SHEAR_ONE panel units. (A step copies the fields its loops read
 * into locals: in DeviceScript a field read is a lookup, a local is not.)
 */
interface Raster {
    maxX: number
    maxY: number
    /** 1. pointBox: the clamped points' box minX..boxX, minY..boxY, and their count. */
    minX: number
    minY: number
    boxX: number
    boxY: number
    points: number
    /** 2. deskewShear: the shear of the points' second moments. */
    shear: number
    /** 3. shearedBox: the sheared x range lowX..lowX + wideX, the height tallY, the longer side (>= SHEAR_ONE), the width rounded to panel units. */
    lowX: number
    wideX: number
    tallY: number
    side: number
    boxWidth: number
    /** 4. discCentres: the number of disc centres and their sums. */
    discs: number
    sumX: number
    sumY: number
    /** 5. placeCentre: the move, fine units. */
    offX: number
    offY: number
}

/**
 * The one Raster of all calls: creating an object of this many fields costs the simulator's
 * DeviceScript VM about a fifth of a raster's time, and rasterizeBits runs to its end without
 * yielding, so two calls never share it. It holds numbers only (nothing stays alive through it).
 */
const STATE: Raster = {
    maxX: 0,
    maxY: 0,
    minX: 0,
    minY: 0,
    boxX: 0,
    boxY: 0,
    points: 0,
    shear: 0,
    lowX: 0,
    wideX: 0,
    tallY: 0,
    side: 0,
    boxWidth: 0,
    discs: 0,
    sumX: 0,
    sumY: 0,
    offX: 0,
    offY: 0,
}

/**
 * Rasterizes `strokes` drawn on a `panelWidth` x `panelHeight` panel into the packed input bits
 * `out` (25 u32 words as 100 little-endian bytes: element e is bit e & 7 of byte e >> 3; cleared
 * first). Returns what was drawn; with no points, `out` stays all 0.
 *
 * The steps, in this order in the C (bnn_raster.c) too: 1. pointBox, 2. deskewShear,
 * 3. shearedBox, 4. discCentres, 5. placeCentre, 6. drawDiscs, 7. packRows.
 */
export function rasterizeBits(strokes: number[][], panelWidth: number, panelHeight: number, out: Bits): RasterInfo {
    for (let i = 0; i < 100; i++) out[i] = 0
    const r = STATE
    r.maxX = panelWidth - 1
    r.maxY = panelHeight - 1
    pointBox(r, strokes)
    if (r.points === 0) return { points: 0, boxWidth: -1, boxHeight: -1, discs: 0, ink: 0 }
    deskewShear(r, strokes)
    shearedBox(r, strokes)
    // the disc centres, fine units before the move
    const xs: number[] = []
    const ys: number[] = []
    discCentres(r, strokes, xs, ys)
    placeCentre(r)
    const ink = packRows(drawDiscs(r, xs, ys), out)
    return { points: r.points, boxWidth: r.boxWidth, boxHeight: r.boxY - r.minY, discs: r.discs, ink }
}

// (The steps are written for the DeviceScript VM: function calls cost more than the arithmetic
// there, so clamps and divisions are inline; every operand of a shift-division is non-negative.)

/** 1. The bounding box of the points, clamped to the panel. */
function pointBox(r: Raster, strokes: number[][]): void {
    const maxX = r.maxX
    const maxY = r.maxY
    let minX = maxX + 1
    let minY = maxY + 1
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
    r.minX = minX
    r.minY = minY
    r.boxX = boxX
    r.boxY = boxY
    r.points = points
}

/**
 * 2. Deskew: the shear that makes the points' second moments upright,
 *   shear = round(SHEAR_ONE * cov(x, y) / var(y)), limited to +-SHEAR_MAX,
 * from the first MOMENT_POINTS points, with coordinates measured from the box corner and
 * divided (floored) by q, the power of two that keeps them within MOMENT_RANGE: the sums
 * (n * sum(ab) - sum(a) * sum(b), times 2 * SHEAR_ONE) stay below 2^53: exact in doubles and in
 * the C's int64. A point then lies at X = SHEAR_ONE * (x - minX) - shear * (y - minY), in
 * 1/SHEAR_ONE panel units, exactly; everything after is a ratio of such differences, so the
 * raster is the same when the drawing is moved, or scaled by 2 while q stays 1.
 */
function deskewShear(r: Raster, strokes: number[][]): void {
    const maxX = r.maxX
    const maxY = r.maxY
    const minX = r.minX
    const minY = r.minY
    let q = 1
    while (r.boxX - minX > MOMENT_RANGE * q || r.boxY - minY > MOMENT_RANGE * q) q = q * 2
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
    r.shear = roundedShear(m * sab - sa * sb, m * sbb - sb * sb, SHEAR_MAX)
}

/** 3. The box of the sheared points: its x range, its height, the longer side the scale maps to SPAN. */
function shearedBox(r: Raster, strokes: number[][]): void {
    const maxX = r.maxX
    const maxY = r.maxY
    const minX = r.minX
    const minY = r.minY
    const shear = r.shear
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
    const tallY = SHEAR_ONE * (r.boxY - minY)
    let side = wideX > tallY ? wideX : tallY
    if (side < SHEAR_ONE) side = SHEAR_ONE
    r.lowX = lowX
    r.wideX = wideX
    r.tallY = tallY
    r.side = side
    // the width rounded to panel units (for RasterInfo)
    r.boxWidth = Math.floor((2 * wideX + SHEAR_ONE) / (2 * SHEAR_ONE))
}

/**
 * 4. The disc centres into xs, ys, fine units before the move: each point at
 * round((X - lowX) * SPAN / side), round(Y * SPAN / side), and points interpolated between two
 * of a stroke at most STEP apart; at most MAX_DISCS. Their sums give the centre of mass.
 */
function discCentres(r: Raster, strokes: number[][], xs: number[], ys: number[]): void {
    const maxX = r.maxX
    const maxY = r.maxY
    const minX = r.minX
    const minY = r.minY
    const shear = r.shear
    const lowX = r.lowX
    const side = r.side
    const span2 = 2 * SPAN
    const side2 = 2 * side
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
    r.discs = n
    r.sumX = sumX
    r.sumY = sumY
}

/** 5. The move: the centre of mass to CENTRE, kept inside the grid (pen included). */
function placeCentre(r: Raster): void {
    const n = r.discs
    const side = r.side
    const extentX = Math.floor((r.wideX * 2 * SPAN + side) / (2 * side))
    const extentY = Math.floor((r.tallY * 2 * SPAN + side) / (2 * side))
    const lastFine = RASTER_SIDE * FINE - 1
    const offX = CENTRE - Math.floor((2 * r.sumX + n) / (2 * n))
    const offY = CENTRE - Math.floor((2 * r.sumY + n) / (2 * n))
    const highX = lastFine - PEN_RADIUS - extentX
    const highY = lastFine - PEN_RADIUS - extentY
    r.offX = offX < PEN_RADIUS ? PEN_RADIUS : offX > highX ? highX : offX
    r.offY = offY < PEN_RADIUS ? PEN_RADIUS : offY > highY ? highY : offY
}

/**
 * 6. Draws the discs: per disc and pen row, one span of columns ORed into the row's bits
 * (bit c: column c). cx, cy >= PEN_RADIUS and the half-width h <= PEN_RADIUS, so the
 * numerators of the >> 4 below are >= 0. Returns the RASTER_SIDE rows.
 */
function drawDiscs(r: Raster, xs: number[], ys: number[]): number[] {
    const n = r.discs
    const offX = r.offX
    const offY = r.offY
    const rows: number[] = []
    for (let row = 0; row < RASTER_SIDE; row++) rows.push(0)
    for (let d = 0; d < n; d++) {
        const cx = xs[d] + offX
        const cy = ys[d] + offY
        // rows whose centre 16 r + 8 is within PEN_RADIUS of cy
        const r0 = (cy - PEN_RADIUS - 8 + FINE - 1) >> 4
        let r1 = (cy + PEN_RADIUS - 8) >> 4
        if (r1 > RASTER_SIDE - 1) r1 = RASTER_SIDE - 1
        for (let row = r0; row <= r1; row++) {
            const dyc = row * FINE + 8 - cy
            const h = SPANS[dyc < 0 ? -dyc : dyc]
            // columns whose centre 16 c + 8 is in [cx - h, cx + h]
            const c0 = (cx - h - 8 + FINE - 1) >> 4
            let c1 = (cx + h - 8) >> 4
            if (c1 > RASTER_SIDE - 1) c1 = RASTER_SIDE - 1
            if (c0 <= c1) rows[row] = rows[row] | (((1 << (c1 + 1)) - 1) ^ ((1 << c0) - 1))
        }
    }
    return rows
}

/**
 * 7. Packs the rows into input words (element 28 r + c is bit e & 31 of word e >> 5: a row of
 * 28 bits lands in one word or straddles two), then `out`'s bytes, little-endian. Returns the
 * number of ink pixels.
 */
function packRows(rows: number[], out: Bits): number {
    const words: number[] = []
    for (let w = 0; w < 25; w++) words.push(0)
    let ink = 0
    for (let r = 0; r < RASTER_SIDE; r++) {
        const row = rows[r]
        if (row === 0) continue
        // the set bits of the row (SWAR; inline: a call costs the VM more than these steps)
        let c = row - ((row >>> 1) & 0x55555555)
        c = (c & 0x33333333) + ((c >>> 2) & 0x33333333)
        c = (c + (c >>> 4)) & 0x0f0f0f0f
        ink += Math.imul(c, 0x01010101) >>> 24
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
    return ink
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
