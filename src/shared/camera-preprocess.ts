// Camera frame -> 28x28 MNIST-style digit. Plain TypeScript (imports only src/shared/) and integer
// arithmetic only (every intermediate value is an integer below 2^53, divisions are floored), so
// the DeviceScript program and Node (tests, fixture generator) compute the same bytes.
//
// Input: a W x H grayscale frame as the camera sees it (services/digitcamera.md): row-major,
// 0 = black, 255 = white, i.e. bright paper with dark ink.
// Output: 784 bytes in the MNIST convention: 0 = background, 255 = ink, the digit's longer side
// scaled to 20 px (keeping the aspect ratio, area-averaged) and placed so that its centre of
// mass is at pixel (14, 14), as MNIST was made (its test set's mean centre of mass is
// (14.00, 13.99) in pixel-index coordinates).
//
// Steps (functions of the same names, in the same order, in the C twin firmware-codegen/c/bnn_preprocess.c):
//  1. histogramLevels: Otsu's threshold on the 256-bin histogram (class means in quarter grey
//     levels), pixel p is ink when p <= t; ink mean `lo` and paper mean `hi` of the two classes.
//     Too little contrast (hi - lo < MIN_CONTRAST) or one grey level: blank output, returns 0.
//  2. inkBox: the bounding box of the rows and columns holding at least MIN_LINE_INK ink pixels
//     (p <= t), so a lone speck does not stretch it. No ink: returns 0.
//  3. inkTable: ink amount per grey level (inverted): v = 255 at or below `lo`, 0 at or above
//     `knee` = t + (hi - t) / 2 (so paper shading and noise around `hi` vanish), linear between.
//     (After the box, which needs only t: the C builds the table over the histogram's memory.)
//  4. deskewShear: the shear that makes the ink's slant, from its second moments, upright (as
//     the stroke rasterizer does for touch).
//  5. shearedBox: rows of the box are shifted by whole pixels by that shear, and the box's
//     columns are found again the same way in the sheared frame.
//  6. resampleBox: area-averaging resample of the sheared box's v values to tw x th,
//     max(tw, th) = 20, rounded, with the centre of mass of the result.
//  7. placeCentre: the patch placed so that its centre of mass lands on (14, 14), clamped to the field.
//
// DeviceScript: pass `pause` (src/yield.ts) so the VM's step limit is not hit and the firmware's main loop runs.
//
// Not handled: frames whose border is darker than the paper (vignetting, the table around the
// sheet), more than one mark on the paper, rotation. The frame should show the digit on plain paper.

import type { ByteArray } from "./bits.js"
import { roundedShear, SHEAR_ONE } from "./deskew.js"

export const OUT_SIDE = 28
export const OUT_PIXELS = 784
export const BOX_SIDE = 20
/** Centre of mass target, pixel index (MNIST). */
export const CENTRE = 14
/** Minimum paper - ink difference (grey levels) for a frame to count as showing a digit. */
export const MIN_CONTRAST = 40
/** A row or column belongs to the ink bounding box when it holds at least this many ink pixels. */
export const MIN_LINE_INK = 2
/** Deskew: the shear's limit either way, in 1/SHEAR_ONE (deskew.ts): 0.5 px of x per px of y. */
export const SHEAR_MAX = 128
/** The moment sums are halved together until covariance and variance are within this (exact doubles, as the C's int64). */
export const MOMENT_LIMIT = 2 ** 40
/** Largest reduced box coordinate in the moment sums. */
export const MOMENT_RANGE = 127


export interface Levels {
    /** Otsu threshold: pixel p is ink when p <= threshold. -1 when the frame has one grey level. */
    threshold: number
    /** Mean grey level of the ink class (floored). */
    ink: number
    /** Mean grey level of the paper class (floored). */
    paper: number
}

function zeros(n: number): number[] {
    const a: number[] = []
    for (let i = 0; i < n; i++) a.push(0)
    return a
}

/**
 * The overlaps of an area-averaging resample of `n` source cells to `m` output cells along one
 * axis: on a common axis source cell s covers [s*m, (s+1)*m) and output cell o covers
 * [o*n, (o+1)*n), so the overlaps of an output cell add up to n. Source cell s overlaps output
 * cell cell[k] by weight[k] for k = first[s] .. first[s+1]-1, in increasing o.
 */
interface Overlaps {
    first: number[]
    cell: number[]
    weight: number[]
}

/**
 * The overlaps of resampling `n` cells to `m` (both >= 1). Called once per pass, both passes of
 * step 6 (resampleBox) use it: their per-pixel loops only look the overlaps up, no call per
 * pixel. o = floor(s*m / n) is kept by stepping instead of dividing.
 *
 * (DeviceScript: a call costs the VM some 20 additions' steps but, in the simulator's VM, the
 * time of hundreds, about 30 us: no loop over pixels or grey levels calls a function, divisions
 * are Math.floor inline. Math.floor itself is a builtin, not a call of bytecode.)
 */
function areaOverlaps(n: number, m: number): Overlaps {
    const first: number[] = []
    const cell: number[] = []
    const weight: number[] = []
    let o0 = 0
    for (let s = 0; s < n; s++) {
        first.push(cell.length)
        const a = s * m
        const b = a + m
        while ((o0 + 1) * n <= a) o0++
        let o = o0
        while (o < m && o * n < b) {
            const lo2 = o * n > a ? o * n : a
            const hi2 = (o + 1) * n < b ? (o + 1) * n : b
            cell.push(o)
            weight.push(hi2 - lo2)
            o++
        }
    }
    first.push(cell.length)
    return { first, cell, weight }
}

/** Otsu threshold and class means from a 256-bin histogram of `n` pixels. */
export function otsuLevels(hist: number[], n: number): Levels {
    let total = 0
    for (let g = 0; g < 256; g++) total += g * hist[g]
    let w0 = 0
    let s0 = 0
    let best = -1
    let bestScore = -1
    for (let t = 0; t < 255; t++) {
        w0 += hist[t]
        s0 += t * hist[t]
        const w1 = n - w0
        if (w0 === 0 || w1 === 0) continue
        // between-class variance w0 * w1 * (m1 - m0)^2 with the means in quarter grey levels:
        // at most 2^30 * 1020^2 < 2^50 for frames up to 65535 pixels
        const d = Math.floor((4 * (total - s0)) / w1) - Math.floor((4 * s0) / w0)
        const score = w0 * w1 * d * d
        if (score > bestScore) {
            bestScore = score
            best = t
        }
    }
    if (best < 0) return { threshold: -1, ink: 0, paper: 0 }
    let c0 = 0
    let sum0 = 0
    for (let g = 0; g <= best; g++) {
        c0 += hist[g]
        sum0 += g * hist[g]
    }
    return { threshold: best, ink: Math.floor(sum0 / c0), paper: Math.floor((total - sum0) / (n - c0)) }
}

/** Waits for the scheduler: DeviceScript passes src/yield.ts's yieldToFirmware; Node passes nothing. */
export type Pause = () => Promise<void>

/**
 * Pixel steps between two pauses. The DeviceScript VM throws InfiniteLoop when a fiber runs
 * 128k opcodes without yielding (DEVS_MAX_STEPS); a histogram pixel costs ~40-60 of them (3072
 * pixels between pauses failed, 2048 passed), so 512 leaves a margin of 4 or more.
 */
export const STEPS_PER_PAUSE = 512

/**
 * What the steps of preprocess hand on besides the ink table, the row shifts and the patch,
 * each step filling its part (the C's prep_t). (A step copies the fields its pixel loops read
 * into locals: in DeviceScript a field read is a lookup, a local is not.)
 */
interface Prep {
    frame: ByteArray
    width: number
    height: number
    pause: Pause | undefined
    /** Pixel steps left before the next pause. */
    budget: number
    /** 1. histogramLevels: the threshold, ink when p <= t. */
    t: number
    /** 2. inkBox: the box, frame coordinates, inclusive. */
    x0: number
    x1: number
    y0: number
    y1: number
    /** 4. deskewShear: the moment sums' weight sw and q * syw (mean y = syw / sw, box rows), the shear. */
    sw: number
    syw: number
    shear: number
    /** 5. shearedBox: the sheared box's first column (source x = left0 + the row's shift) and width. */
    left0: number
    bw: number
    /** 6. resampleBox: the patch's size, its mass and moments, the ink pixels of the sheared box. */
    tw: number
    th: number
    mass: number
    mx: number
    my: number
    inkCount: number
}

/**
 * The Prep of the last call, free again. Creating an object of this many fields costs the
 * simulator's DeviceScript VM about 2 ms, a sixth of a frame, so calls that do not overlap share
 * this one; a call that overlaps another (preprocess awaits) makes its own.
 */
let sparePrep: Prep | undefined = undefined

/** What a spare Prep holds instead of the last frame. */
const NO_FRAME: number[] = []

/**
 * Turns the `width` x `height` frame into a 28x28 MNIST-style digit in `out[0..783]`.
 * Returns the number of ink pixels found in the frame's bounding box (0: no digit; `out` is then
 * all 0). Calls `pause` every STEPS_PER_PAUSE pixel steps (the result does not depend on it).
 */
export async function preprocess(frame: ByteArray, width: number, height: number, out: ByteArray, pause?: Pause): Promise<number> {
    for (let i = 0; i < OUT_PIXELS; i++) out[i] = 0
    let p = sparePrep
    sparePrep = undefined
    if (p === undefined) {
        p = {
            frame,
            width,
            height,
            pause,
            budget: STEPS_PER_PAUSE,
            t: 0,
            x0: 0,
            x1: 0,
            y0: 0,
            y1: 0,
            sw: 0,
            syw: 0,
            shear: 0,
            left0: 0,
            bw: 0,
            tw: 0,
            th: 0,
            mass: 0,
            mx: 0,
            my: 0,
            inkCount: 0,
        }
    }
    p.frame = frame
    p.width = width
    p.height = height
    p.pause = pause
    p.budget = STEPS_PER_PAUSE
    const ink = await preprocessSteps(p, out)
    p.frame = NO_FRAME
    p.pause = undefined
    sparePrep = p
    return ink
}

/**
 * A step's row loop has spent the budget (`if (p.budget <= 0) await pauseSpent(p)` after each
 * row): pauses, when there is a pause, and starts a new budget. Called once per pause, not per
 * row or pixel.
 */
async function pauseSpent(p: Prep): Promise<void> {
    p.budget = STEPS_PER_PAUSE
    if (p.pause) await p.pause()
}

/** The steps, in this order in the C (bnn_preprocess.c) too; returns preprocess's result. */
async function preprocessSteps(p: Prep, out: ByteArray): Promise<number> {
    const lv = await histogramLevels(p)
    if (lv.threshold < 0 || lv.paper - lv.ink < MIN_CONTRAST) return 0
    p.t = lv.threshold
    if (!(await inkBox(p))) return 0
    const inkOf = inkTable(lv)
    await deskewShear(p, inkOf)
    const shift: number[] = []
    if (!(await shearedBox(p, shift))) return 0
    const patch = await resampleBox(p, inkOf, shift)
    if (p.mass === 0) return 0
    placeCentre(p, patch, out)
    return p.inkCount
}

/** 1. The histogram of the frame and its Otsu levels. */
async function histogramLevels(p: Prep): Promise<Levels> {
    const frame = p.frame
    const width = p.width
    const height = p.height
    const hist = zeros(256)
    for (let y = 0; y < height; y++) {
        const base = y * width
        for (let x = 0; x < width; x++) hist[frame[base + x]]++
        p.budget -= width
        if (p.budget <= 0) await pauseSpent(p)
    }
    return otsuLevels(hist, width * height)
}

/** 2. The ink bounding box x0..x1, y0..y1: false when no row or column holds MIN_LINE_INK ink pixels. */
async function inkBox(p: Prep): Promise<boolean> {
    const frame = p.frame
    const width = p.width
    const height = p.height
    const t = p.t
    const rowInk = zeros(height)
    const colInk = zeros(width)
    for (let y = 0; y < height; y++) {
        const base = y * width
        for (let x = 0; x < width; x++) {
            if (frame[base + x] <= t) {
                rowInk[y]++
                colInk[x]++
            }
        }
        p.budget -= 2 * width
        if (p.budget <= 0) await pauseSpent(p)
    }
    let x0 = 0
    while (x0 < width && colInk[x0] < MIN_LINE_INK) x0++
    let x1 = width - 1
    while (x1 >= x0 && colInk[x1] < MIN_LINE_INK) x1--
    let y0 = 0
    while (y0 < height && rowInk[y0] < MIN_LINE_INK) y0++
    let y1 = height - 1
    while (y1 >= y0 && rowInk[y1] < MIN_LINE_INK) y1--
    p.x0 = x0
    p.x1 = x1
    p.y0 = y0
    p.y1 = y1
    return x0 <= x1 && y0 <= y1
}

/** 3. The ink amount of each grey level: 255 at or below the ink mean, 0 at or above the knee. */
function inkTable(lv: Levels): number[] {
    const lo = lv.ink
    const knee = lv.threshold + ((lv.paper - lv.threshold) >> 1)
    const span = knee - lo
    const inkOf = zeros(256)
    for (let g = 0; g < 256; g++) inkOf[g] = g <= lo ? 255 : g < knee ? Math.floor((255 * (knee - g)) / span) : 0
    return inkOf
}

/**
 * 4. Deskew: the shear that makes the ink's second moments upright (weights v >> 5, box
 * coordinates divided (floored) by q, the power of two keeping them within MOMENT_RANGE),
 * shear = round(SHEAR_ONE * cov / var), limited to +-SHEAR_MAX. Every sum stays below 2^53 for
 * frames up to 65535 pixels (n * 7 * 127^2 * 7 n), and cov, var are halved together to
 * MOMENT_LIMIT before the division, so doubles and the C's int64 give the same integers.
 */
async function deskewShear(p: Prep, inkOf: number[]): Promise<void> {
    const frame = p.frame
    const width = p.width
    const x0 = p.x0
    const x1 = p.x1
    const y0 = p.y0
    const y1 = p.y1
    let q = 1
    while (x1 - x0 > MOMENT_RANGE * q || y1 - y0 > MOMENT_RANGE * q) q = q * 2
    let sw = 0
    let sxw = 0
    let syw = 0
    let sxy = 0
    let syy = 0
    for (let y = y0; y <= y1; y++) {
        const base = y * width
        const dy = Math.floor((y - y0) / q)
        for (let x = x0; x <= x1; x++) {
            const w = inkOf[frame[base + x]] >> 5
            if (w === 0) continue
            const dx = Math.floor((x - x0) / q)
            sw += w
            sxw += w * dx
            syw += w * dy
            sxy += w * dx * dy
            syy += w * dy * dy
        }
        p.budget -= 2 * (x1 - x0 + 1)
        if (p.budget <= 0) await pauseSpent(p)
    }
    let cov = sw * sxy - sxw * syw
    let vr = sw * syy - syw * syw
    while (vr > MOMENT_LIMIT || cov > MOMENT_LIMIT || cov < -MOMENT_LIMIT) {
        cov = Math.floor(cov / 2)
        vr = Math.floor(vr / 2)
    }
    p.shear = roundedShear(cov, vr, SHEAR_MAX)
    p.sw = sw
    p.syw = q * syw
}

/**
 * 5. The sheared box: source row y moves by -round(shear * (y - mean y) / SHEAR_ONE) whole
 * pixels (its shift, subtracted from x, into `shift`), and the box's columns are found again in
 * the sheared frame: left0, the source x of its first column before the row's shift, and the
 * width bw. False when no sheared column holds MIN_LINE_INK ink pixels.
 */
async function shearedBox(p: Prep, shift: number[]): Promise<boolean> {
    const frame = p.frame
    const width = p.width
    const t = p.t
    const x0 = p.x0
    const x1 = p.x1
    const y0 = p.y0
    const y1 = p.y1
    const sw = p.sw
    const syw = p.syw
    const shear = p.shear
    const bh = y1 - y0 + 1
    let lowShift = 0
    let highShift = 0
    for (let dy = 0; dy < bh; dy++) {
        const d = sw > 0 ? Math.floor((2 * shear * (sw * dy - syw) + SHEAR_ONE * sw) / (2 * SHEAR_ONE * sw)) : 0
        shift.push(d)
        if (dy === 0 || d < lowShift) lowShift = d
        if (dy === 0 || d > highShift) highShift = d
    }
    // sheared columns: c = x - x0 - shift + highShift, in 0 .. (x1 - x0) + highShift - lowShift
    const wide = x1 - x0 + 1 + highShift - lowShift
    const colSheared = zeros(wide)
    for (let y = y0; y <= y1; y++) {
        const base = y * width
        const o = highShift - shift[y - y0] - x0
        for (let x = x0; x <= x1; x++) if (frame[base + x] <= t) colSheared[x + o]++
        p.budget -= x1 - x0 + 1
        if (p.budget <= 0) await pauseSpent(p)
    }
    let c0 = 0
    while (c0 < wide && colSheared[c0] < MIN_LINE_INK) c0++
    let c1 = wide - 1
    while (c1 >= c0 && colSheared[c1] < MIN_LINE_INK) c1--
    p.left0 = x0 + c0 - highShift
    p.bw = c1 - c0 + 1
    return c0 <= c1
}

/**
 * 6. Resamples the sheared box (bw x bh) to tw x th, its longer side becoming BOX_SIDE: each
 * output pixel the v values times their overlaps (which add up to bw * bh), rounded; then the
 * centre of mass of the patch. Counts the box's ink pixels. Returns the patch.
 */
async function resampleBox(p: Prep, inkOf: number[], shift: number[]): Promise<number[]> {
    const bw = p.bw
    const bh = p.y1 - p.y0 + 1
    const longer = bw > bh ? bw : bh
    let tw = Math.floor((2 * bw * BOX_SIDE + longer) / (2 * longer))
    let th = Math.floor((2 * bh * BOX_SIDE + longer) / (2 * longer))
    if (tw < 1) tw = 1
    if (th < 1) th = 1
    const patch = await verticalPass(p, await horizontalPass(p, inkOf, shift, tw), tw, th)
    // rounding and centre of mass
    const denom = bw * bh
    let mass = 0
    let mx = 0
    let my = 0
    for (let oy = 0; oy < th; oy++) {
        for (let ox = 0; ox < tw; ox++) {
            let v = Math.floor((2 * patch[oy * tw + ox] + denom) / (2 * denom))
            if (v > 255) v = 255
            patch[oy * tw + ox] = v
            mass += v
            mx += ox * v
            my += oy * v
        }
        p.budget -= 2 * tw
        if (p.budget <= 0) await pauseSpent(p)
    }
    p.tw = tw
    p.th = th
    p.mass = mass
    p.mx = mx
    p.my = my
    return patch
}

/**
 * Step 6's horizontal pass: each source row of the sheared box to tw columns, each the sum of
 * v * overlap over the source columns (the overlaps of an output column add up to bw); counts
 * the ink pixels. Returns the bh x tw sums.
 */
async function horizontalPass(p: Prep, inkOf: number[], shift: number[], tw: number): Promise<number[]> {
    const frame = p.frame
    const width = p.width
    const t = p.t
    const x0 = p.x0
    const x1 = p.x1
    const y0 = p.y0
    const bw = p.bw
    const bh = p.y1 - y0 + 1
    const left0 = p.left0
    const columns = areaOverlaps(bw, tw)
    const xFirst = columns.first
    const xCell = columns.cell
    const xWeight = columns.weight
    const rows = zeros(bh * tw)
    let inkCount = 0
    for (let sy = 0; sy < bh; sy++) {
        // source x of sheared box column 0
        const left = left0 + shift[sy]
        const from = left < x0 ? x0 - left : 0
        const to = left + bw - 1 > x1 ? x1 - left + 1 : bw
        const base = (y0 + sy) * width + left
        const rowBase = sy * tw
        for (let sx = from; sx < to; sx++) {
            const px = frame[base + sx]
            if (px <= t) inkCount++
            const v = inkOf[px]
            if (v === 0) continue
            const end = xFirst[sx + 1]
            for (let k = xFirst[sx]; k < end; k++) rows[rowBase + xCell[k]] += v * xWeight[k]
        }
        p.budget -= 4 * bw
        if (p.budget <= 0) await pauseSpent(p)
    }
    p.inkCount = inkCount
    return rows
}

/** Step 6's vertical pass: the rows' sums into the tw x th patch; an output pixel's total weight is bw * bh. */
async function verticalPass(p: Prep, rows: number[], tw: number, th: number): Promise<number[]> {
    const bh = p.y1 - p.y0 + 1
    const lines = areaOverlaps(bh, th)
    const yFirst = lines.first
    const yCell = lines.cell
    const yWeight = lines.weight
    const patch = zeros(tw * th)
    for (let sy = 0; sy < bh; sy++) {
        const end = yFirst[sy + 1]
        for (let k = yFirst[sy]; k < end; k++) {
            const oy = yCell[k]
            const w = yWeight[k]
            for (let ox = 0; ox < tw; ox++) patch[oy * tw + ox] += rows[sy * tw + ox] * w
            p.budget -= 2 * tw
        }
        if (p.budget <= 0) await pauseSpent(p)
    }
    return patch
}

/** 7. Places the patch so that its centre of mass lands on (CENTRE, CENTRE), inside the field. */
function placeCentre(p: Prep, patch: number[], out: ByteArray): void {
    const tw = p.tw
    const th = p.th
    const mass = p.mass
    let px = Math.floor((2 * CENTRE * mass - 2 * p.mx + mass) / (2 * mass))
    let py = Math.floor((2 * CENTRE * mass - 2 * p.my + mass) / (2 * mass))
    if (px < 0) px = 0
    if (py < 0) py = 0
    if (px > OUT_SIDE - tw) px = OUT_SIDE - tw
    if (py > OUT_SIDE - th) py = OUT_SIDE - th
    for (let oy = 0; oy < th; oy++) {
        for (let ox = 0; ox < tw; ox++) out[(py + oy) * OUT_SIDE + px + ox] = patch[oy * tw + ox]
    }
}
