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
// Steps:
//  1. threshold: Otsu's method on the 256-bin histogram (class means in quarter grey levels), pixel
//     p is ink when p <= t. Ink mean `lo` and paper mean `hi` of the two classes.
//  2. too little contrast (hi - lo < MIN_CONTRAST) or no ink: blank output, returns 0.
//  3. ink amount per pixel (inverted): v = 255 at or below `lo`, 0 at or above
//     `knee` = t + (hi - t) / 2 (so paper shading and noise around `hi` vanish), linear between.
//  4. bounding box: the rows and columns holding at least MIN_LINE_INK ink pixels (p <= t), so a
//     lone speck does not stretch it.
//  4b. deskew: rows of the box are shifted by whole pixels so that the ink's slant, from its
//     second moments, is upright (as the stroke rasterizer does for touch), and the box's columns
//     are found again the same way in the sheared frame.
//  5. area-averaging resample of the box's v values to tw x th, max(tw, th) = 20.
//  6. centre of mass of the resampled patch, rounded placement at (14, 14), clamped to the field.
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

/** Floored integer division of non-negative integers. */
function idiv(a: number, b: number): number {
    return Math.floor(a / b)
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
 * step 5 use it: their per-pixel loops only look the overlaps up, no call per pixel (in
 * DeviceScript bytecode a call costs as much as ~20 additions). o = floor(s*m / n) is kept by
 * stepping instead of dividing.
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
        const d = idiv(4 * (total - s0), w1) - idiv(4 * s0, w0)
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
    return { threshold: best, ink: idiv(sum0, c0), paper: idiv(total - sum0, n - c0) }
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
 * Turns the `width` x `height` frame into a 28x28 MNIST-style digit in `out[0..783]`.
 * Returns the number of ink pixels found in the frame's bounding box (0: no digit; `out` is then
 * all 0). Calls `pause` every STEPS_PER_PAUSE pixel steps (the result does not depend on it).
 */
export async function preprocess(frame: ByteArray, width: number, height: number, out: ByteArray, pause?: Pause): Promise<number> {
    for (let i = 0; i < OUT_PIXELS; i++) out[i] = 0
    const n = width * height
    let budget = STEPS_PER_PAUSE

    // 1. histogram and threshold
    const hist = zeros(256)
    for (let y = 0; y < height; y++) {
        const base = y * width
        for (let x = 0; x < width; x++) hist[frame[base + x]]++
        budget -= width
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    const lv = otsuLevels(hist, n)
    const t = lv.threshold
    // 2. contrast
    if (t < 0 || lv.paper - lv.ink < MIN_CONTRAST) return 0
    // 3. ink amount: 255 at or below `lo`, 0 at or above `knee`
    const lo = lv.ink
    const knee = t + ((lv.paper - t) >> 1)
    const span = knee - lo
    // the ink amount of each grey level, once (steps 4b and 5 read it per pixel)
    const inkOf = zeros(256)
    for (let g = 0; g < 256; g++) inkOf[g] = g <= lo ? 255 : g < knee ? idiv(255 * (knee - g), span) : 0

    // 4. ink bounding box
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
        budget -= 2 * width
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    let x0 = 0
    while (x0 < width && colInk[x0] < MIN_LINE_INK) x0++
    let x1 = width - 1
    while (x1 >= x0 && colInk[x1] < MIN_LINE_INK) x1--
    let y0 = 0
    while (y0 < height && rowInk[y0] < MIN_LINE_INK) y0++
    let y1 = height - 1
    while (y1 >= y0 && rowInk[y1] < MIN_LINE_INK) y1--
    if (x0 > x1 || y0 > y1) return 0
    const bh = y1 - y0 + 1

    // 4b. deskew: the shear that makes the ink's second moments upright (weights v >> 5, box
    //     coordinates divided (floored) by q, the power of two keeping them within MOMENT_RANGE),
    //     shear = round(SHEAR_ONE * cov / var), limited to +-SHEAR_MAX; source row y then moves
    //     by -round(shear * (y - mean y) / SHEAR_ONE) whole pixels, and the box's columns are
    //     found again in the sheared frame. Every sum stays below 2^53 for frames up to 65535
    //     pixels (n * 7 * 127^2 * 7 n), and cov, var are halved together to MOMENT_LIMIT before
    //     the division, so doubles and the C's int64 give the same integers.
    let q = 1
    while (x1 - x0 > MOMENT_RANGE * q || y1 - y0 > MOMENT_RANGE * q) q = q * 2
    let sw = 0
    let sxw = 0
    let syw = 0
    let sxy = 0
    let syy = 0
    for (let y = y0; y <= y1; y++) {
        const base = y * width
        const dy = idiv(y - y0, q)
        for (let x = x0; x <= x1; x++) {
            const w = inkOf[frame[base + x]] >> 5
            if (w === 0) continue
            const dx = idiv(x - x0, q)
            sw += w
            sxw += w * dx
            syw += w * dy
            sxy += w * dx * dy
            syy += w * dy * dy
        }
        budget -= 2 * (x1 - x0 + 1)
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    let cov = sw * sxy - sxw * syw
    let vr = sw * syy - syw * syw
    while (vr > MOMENT_LIMIT || cov > MOMENT_LIMIT || cov < -MOMENT_LIMIT) {
        cov = Math.floor(cov / 2)
        vr = Math.floor(vr / 2)
    }
    const shear = roundedShear(cov, vr, SHEAR_MAX)
    // per source row: its shift (subtracted from x)
    const shift = zeros(bh)
    let lowShift = 0
    let highShift = 0
    for (let dy = 0; dy < bh; dy++) {
        const d = sw > 0 ? Math.floor((2 * shear * (sw * dy - q * syw) + SHEAR_ONE * sw) / (2 * SHEAR_ONE * sw)) : 0
        shift[dy] = d
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
        budget -= x1 - x0 + 1
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    let c0 = 0
    while (c0 < wide && colSheared[c0] < MIN_LINE_INK) c0++
    let c1 = wide - 1
    while (c1 >= c0 && colSheared[c1] < MIN_LINE_INK) c1--
    if (c0 > c1) return 0
    const bw = c1 - c0 + 1
    let inkCount = 0

    // 5. resample the box (bw x bh) to tw x th; the longer side becomes BOX_SIDE
    const longer = bw > bh ? bw : bh
    let tw = idiv(2 * bw * BOX_SIDE + longer, 2 * longer)
    let th = idiv(2 * bh * BOX_SIDE + longer, 2 * longer)
    if (tw < 1) tw = 1
    if (th < 1) th = 1

    // horizontal pass: each output column sums v * overlap over the source columns (the
    // overlaps of an output column add up to bw)
    const columns = areaOverlaps(bw, tw)
    const xFirst = columns.first
    const xCell = columns.cell
    const xWeight = columns.weight
    const rows = zeros(bh * tw)
    for (let sy = 0; sy < bh; sy++) {
        // source x of sheared box column 0
        const left = x0 + c0 + shift[sy] - highShift
        const from = left < x0 ? x0 - left : 0
        const to = left + bw - 1 > x1 ? x1 - left + 1 : bw
        const base = (y0 + sy) * width + left
        const rowBase = sy * tw
        for (let sx = from; sx < to; sx++) {
            const p = frame[base + sx]
            if (p <= t) inkCount++
            const v = inkOf[p]
            if (v === 0) continue
            const end = xFirst[sx + 1]
            for (let k = xFirst[sx]; k < end; k++) rows[rowBase + xCell[k]] += v * xWeight[k]
        }
        budget -= 4 * bw
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    // vertical pass into the patch (tw x th); the total weight of an output pixel is bw * bh
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
            budget -= 2 * tw
        }
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }

    // 6. centre of mass, placement so that it lands on (CENTRE, CENTRE)
    const denom = bw * bh
    let mass = 0
    let mx = 0
    let my = 0
    for (let oy = 0; oy < th; oy++) {
        for (let ox = 0; ox < tw; ox++) {
            let v = idiv(2 * patch[oy * tw + ox] + denom, 2 * denom)
            if (v > 255) v = 255
            patch[oy * tw + ox] = v
            mass += v
            mx += ox * v
            my += oy * v
        }
        budget -= 2 * tw
        if (budget <= 0 && pause) {
            budget = STEPS_PER_PAUSE
            await pause()
        }
    }
    if (mass === 0) return 0
    let px = idiv(2 * CENTRE * mass - 2 * mx + mass, 2 * mass)
    let py = idiv(2 * CENTRE * mass - 2 * my + mass, 2 * mass)
    if (px < 0) px = 0
    if (py < 0) py = 0
    if (px > OUT_SIDE - tw) px = OUT_SIDE - tw
    if (py > OUT_SIDE - th) py = OUT_SIDE - th
    for (let oy = 0; oy < th; oy++) {
        for (let ox = 0; ox < tw; ox++) out[(py + oy) * OUT_SIDE + px + ox] = patch[oy * tw + ox]
    }
    return inkCount
}
