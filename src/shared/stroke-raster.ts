// Touch strokes -> 28x28 grayscale digit, the way MNIST digits were made: the ink's bounding box
// is scaled so its longer side is 20 px (aspect ratio kept), drawn anti-aliased, then moved by
// whole pixels so that its center of mass lands on pixel (14, 14) of the 28x28 field.
//
// Plain TypeScript with no imports, shared by the DeviceScript program and Node (host tools,
// simulator, tests): integer arithmetic only (divisions are Math.floor of exact integer
// quotients), so both give the same bytes. `Buffer.alloc` exists in both runtimes (zero-filled,
// index access).
//
// Strokes are flat point lists in panel coordinates: [x0, y0, x1, y1, ...]. A stroke of one
// point is a dot.
//
// Drawing works on a fine canvas of 4x4 subpixels per output pixel: every subpixel whose center
// lies within the pen radius of a stroke segment is ink, and an output pixel's gray level is its
// share of ink subpixels (16 of 16 = 255). The DeviceScript VM stops a fiber that runs too long
// without yielding, so the work is split into steps: `startRaster` + `rasterStep(job, budget)`
// (the caller yields between steps); `rasterize` runs all steps at once (Node, small inputs).
//
// Strokes come from pen samples collected by a StrokeSet (touch-samples.ts).

/** Output image side and size. */

/** Output image side and size. */
export const RASTER_SIDE = 28
export const RASTER_PIXELS = 784
/** Subpixels per output pixel along each axis (fine canvas: 112 x 112). */
export const SUBPIXELS = 4
const SUB_SHIFT = 2
const FINE = 112
/** The longer side of the ink's bounding box (pen included) in output pixels. */
export const BOX_PIXELS = 20
/** Default pen radius in subpixels: a pen about 2 output pixels wide (about as much ink as MNIST). */
export const DEFAULT_PEN_RADIUS = 4
/** Pixel index the center of mass is moved to (MNIST test set: 14.0, 14.0). */
export const CENTER_OF_MASS = 14

export interface RasterJob {
    strokes: number[][]
    /** Pen radius in subpixels and the squared distance test (about (r + 1/2)^2). */
    radius: number
    radius2: number
    // panel -> fine canvas: f = offset + round((clamp(p) - min) * span / side)
    panelMaxX: number
    panelMaxY: number
    minX: number
    minY: number
    maxX: number
    maxY: number
    side: number
    span: number
    offsetX: number
    offsetY: number
    /** Fine canvas, 1 = ink. */
    fine: Buffer
    /** Ink subpixels per output pixel, before centering. */
    coverage: Buffer
    sumX: number
    sumY: number
    inkCount: number
    /** 0: bounding box, 1: drawing, 2: done. */
    phase: number
    // progress: point (phase 0) or segment start point (phase 1) in stroke, row of the segment
    stroke: number
    point: number
    row: number
    done: boolean
    /** The 784 grayscale bytes, row-major, 0 = background; valid when done. */
    pixels: Buffer
}

function clampInt(v: number, lo: number, hi: number): number {
    return v < lo ? lo : v > hi ? hi : v
}

/** floor(a / b) for integers, b > 0. */
function idiv(a: number, b: number): number {
    return Math.floor(a / b)
}

/**
 * Prepares the rasterization of `strokes` (panel coordinates, clamped to the panel
 * `panelWidth` x `panelHeight`). `penRadius` is in subpixels (1/4 output pixel).
 */
export function startRaster(strokes: number[][], panelWidth: number, panelHeight: number, penRadius?: number): RasterJob {
    const radius = penRadius === undefined ? DEFAULT_PEN_RADIUS : penRadius
    return {
        strokes,
        radius,
        radius2: radius * radius + radius,
        panelMaxX: panelWidth - 1,
        panelMaxY: panelHeight - 1,
        minX: panelWidth,
        minY: panelHeight,
        maxX: -1,
        maxY: -1,
        side: 1,
        // the centerline's longer side in subpixels, so that with the pen it is BOX_PIXELS
        span: BOX_PIXELS * SUBPIXELS - 2 * radius,
        offsetX: 0,
        offsetY: 0,
        fine: Buffer.alloc(FINE * FINE),
        coverage: Buffer.alloc(RASTER_PIXELS),
        sumX: 0,
        sumY: 0,
        inkCount: 0,
        phase: 0,
        stroke: 0,
        point: 0,
        row: -1,
        done: false,
        pixels: Buffer.alloc(RASTER_PIXELS),
    }
}

/** round(d * span / side) */
function scale(job: RasterJob, d: number): number {
    return idiv(2 * d * job.span + job.side, 2 * job.side)
}

function fineX(job: RasterJob, st: number[], i: number): number {
    return job.offsetX + scale(job, clampInt(st[i], 0, job.panelMaxX) - job.minX)
}

function fineY(job: RasterJob, st: number[], i: number): number {
    return job.offsetY + scale(job, clampInt(st[i + 1], 0, job.panelMaxY) - job.minY)
}

/** Bounding box over up to `budget` points; returns the points done. */
function boxStep(job: RasterJob, budget: number): number {
    let used = 0
    while (used < budget && job.stroke < job.strokes.length) {
        const st = job.strokes[job.stroke]
        if (job.point + 1 >= st.length) {
            job.stroke++
            job.point = 0
            continue
        }
        const x = clampInt(st[job.point], 0, job.panelMaxX)
        const y = clampInt(st[job.point + 1], 0, job.panelMaxY)
        if (x < job.minX) job.minX = x
        if (x > job.maxX) job.maxX = x
        if (y < job.minY) job.minY = y
        if (y > job.maxY) job.maxY = y
        job.point += 2
        used++
    }
    if (job.stroke >= job.strokes.length) {
        job.stroke = 0
        job.point = 0
        job.phase = 1
        if (job.maxX >= 0) {
            let side = job.maxX - job.minX
            if (job.maxY - job.minY > side) side = job.maxY - job.minY
            if (side > 1) job.side = side
            // center the bounding box on the fine canvas (with the pen it spans BOX_PIXELS)
            job.offsetX = idiv(FINE - 1 - scale(job, job.maxX - job.minX), 2)
            job.offsetY = idiv(FINE - 1 - scale(job, job.maxY - job.minY), 2)
        }
    }
    return used
}

/**
 * Draws row `py` of the capsule of radius r around segment a-b (fine coordinates); returns the
 * subpixels tested. Only x within r of the part of the segment whose y is within r of the row
 * can be ink, so only those are tested.
 */
function drawRow(job: RasterJob, ax: number, ay: number, bx: number, by: number, py: number): number {
    const r = job.radius
    const r2 = job.radius2
    const dx = bx - ax
    const dy = by - ay
    let xa = ax < bx ? ax : bx
    let xb = ax < bx ? bx : ax
    if (dy !== 0) {
        // x of the segment at the band's ends y = ylo, yhi (x = ax + (y - ay) * dx / dy), widened
        // to whole subpixels
        const ylo = (ay < by ? ay : by) > py - r ? (ay < by ? ay : by) : py - r
        const yhi = (ay < by ? by : ay) < py + r ? (ay < by ? by : ay) : py + r
        if (ylo > yhi) return 1
        const sdx = dy > 0 ? dx : -dx
        const ady = dy > 0 ? dy : -dy
        const p = (ylo - ay) * sdx
        const q = (yhi - ay) * sdx
        const lo = ax + idiv(p < q ? p : q, ady)
        const hi = ax - idiv(-(p < q ? q : p), ady)
        if (lo > xa) xa = lo
        if (hi < xb) xb = hi
    }
    let x0 = xa - r
    let x1 = xb + r
    if (x0 < 0) x0 = 0
    if (x1 > FINE - 1) x1 = FINE - 1
    const len2 = dx * dx + dy * dy
    const r2len2 = r2 * len2
    const vy = py - ay
    const wy2 = (py - by) * (py - by)
    const vy2 = vy * vy
    const vydy = vy * dy
    const fine = job.fine
    const rowBase = py * FINE
    for (let px = x0; px <= x1; px++) {
        if (fine[rowBase + px] !== 0) continue
        const vx = px - ax
        const t = vx * dx + vydy
        let inside = false
        if (t <= 0) {
            inside = vx * vx + vy2 <= r2
        } else if (t >= len2) {
            const wx = px - bx
            inside = wx * wx + wy2 <= r2
        } else {
            // squared distance to the line: (|v|^2 * len2 - t^2) / len2, compared without dividing
            inside = (vx * vx + vy2) * len2 - t * t <= r2len2
        }
        if (inside) {
            fine[rowBase + px] = 1
            job.coverage[(py >> SUB_SHIFT) * RASTER_SIDE + (px >> SUB_SHIFT)] += 1
            job.sumX += px
            job.sumY += py
            job.inkCount++
        }
    }
    return x1 - x0 + 1
}

/** Draws segments for up to about `budget` subpixel tests; returns the tests done. */
function drawStep(job: RasterJob, budget: number): number {
    let used = 0
    while (used < budget && job.stroke < job.strokes.length) {
        const st = job.strokes[job.stroke]
        const npts = st.length >> 1
        // segments point -> point + 1; a one-point stroke is a dot (a -> a)
        const segments = npts > 1 ? npts - 1 : npts
        if (job.point >= segments) {
            job.stroke++
            job.point = 0
            job.row = -1
            continue
        }
        const ax = fineX(job, st, 2 * job.point)
        const ay = fineY(job, st, 2 * job.point)
        let bx = ax
        let by = ay
        if (npts > 1) {
            bx = fineX(job, st, 2 * job.point + 2)
            by = fineY(job, st, 2 * job.point + 2)
        }
        let y0 = (ay < by ? ay : by) - job.radius
        let y1 = (ay < by ? by : ay) + job.radius
        if (y0 < 0) y0 = 0
        if (y1 > FINE - 1) y1 = FINE - 1
        if (job.row < y0) job.row = y0
        while (job.row <= y1 && used < budget) {
            used += drawRow(job, ax, ay, bx, by, job.row)
            job.row++
        }
        if (job.row > y1) {
            job.row = -1
            job.point++
        }
    }
    if (job.stroke >= job.strokes.length) job.phase = 2
    return used
}

/** Whole-pixel shift that moves the center of mass (fine sum `sum`) to CENTER_OF_MASS. */
function centerShift(sum: number, count: number): number {
    // round(CENTER_OF_MASS - ((sum / count + 1/2) / SUBPIXELS - 1/2)) in integers
    return idiv(2 * (CENTER_OF_MASS + 1) * SUBPIXELS * count - 2 * sum - count, 2 * SUBPIXELS * count)
}

function finish(job: RasterJob): void {
    if (job.inkCount > 0) {
        const sx = centerShift(job.sumX, job.inkCount)
        const sy = centerShift(job.sumY, job.inkCount)
        const full = SUBPIXELS * SUBPIXELS
        for (let y = 0; y < RASTER_SIDE; y++) {
            const srcY = y - sy
            if (srcY < 0 || srcY >= RASTER_SIDE) continue
            for (let x = 0; x < RASTER_SIDE; x++) {
                const srcX = x - sx
                if (srcX < 0 || srcX >= RASTER_SIDE) continue
                const c = job.coverage[srcY * RASTER_SIDE + srcX]
                if (c > 0) job.pixels[y * RASTER_SIDE + x] = idiv(c * 255 + (full >> 1), full)
            }
        }
    }
    job.done = true
}

/** A `rasterStep` budget that keeps DeviceScript steps well under the VM's loop limit (the VM stops
 * a fiber after roughly 1000-1500 subpixel tests without a yield). */
export const DEVICESCRIPT_STEP_BUDGET = 300

/**
 * Runs the rasterization for about `budget` units of work (a point of the bounding box pass or a
 * subpixel test; at least one row); returns true when the image is complete (`job.pixels`).
 * In DeviceScript use DEVICESCRIPT_STEP_BUDGET and yield (`await ds.sleep(0)`) between calls.
 */
export function rasterStep(job: RasterJob, budget: number): boolean {
    if (job.done) return true
    if (job.phase === 0) {
        boxStep(job, budget)
        return false
    }
    if (job.phase === 1) {
        drawStep(job, budget)
        return false
    }
    finish(job)
    return true
}

/** Rasterizes all at once: the 784 grayscale bytes (row-major, 0 = background). */
export function rasterize(strokes: number[][], panelWidth: number, panelHeight: number, penRadius?: number): Buffer {
    const job = startRaster(strokes, panelWidth, panelHeight, penRadius)
    while (!rasterStep(job, 1000000)) {}
    return job.pixels
}
