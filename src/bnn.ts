// Bytecode fallback of the BNN inference, in DeviceScript: the same integer arithmetic as the
// TypeScript reference (host/lib/model/infer.ts) and the generated C, reading the weight tables
// (src/models/*.ts) straight from flash. Conventions: host/lib/binary.ts, docs/model-format.md.
import * as ds from "@devicescript/core"

export interface HiddenTables {
    inputs: number
    outputs: number
    weights: Buffer // outputs rows x ceil(inputs/32) u32 LE
    thresholds: Buffer // outputs x i16 LE
}

export interface OutputTables {
    inputs: number
    outputs: number
    weights: Buffer
    scale: Buffer // outputs x i32 LE
    offset: Buffer // outputs x i32 LE
}

/** Neurons between yields: keeps each slice well under the VM's step limit. */
const NEURONS_PER_SLICE = 16

function popcount32(x: number): number {
    x = x - ((x >>> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
    x = (x + (x >>> 4)) & 0x0f0f0f0f
    return (x + (x >>> 8) + (x >>> 16) + (x >>> 24)) & 0x3f
}

/** n - 2 * popcount(x XOR row j): the ±1 dot product of input x with weight row j. */
function dot(x: Buffer, weights: Buffer, j: number, words: number, n: number): number {
    let diff = 0
    const base = j * words * 4
    for (let k = 0; k < words; k++) {
        diff += popcount32(x.getAt(4 * k, "u32") ^ weights.getAt(base + 4 * k, "u32"))
    }
    return n - 2 * diff
}

/** Packs grayscale pixels (0 = background) into input bits: pixel >= threshold is +1 (bit 1). */
export function packPixels(pixels: Buffer, threshold: number): Buffer {
    const n = pixels.length
    const out = Buffer.alloc(((n + 31) >> 5) * 4)
    for (let i = 0; i < n; i++) {
        if (pixels[i] >= threshold) out[i >> 3] |= 1 << (i & 7)
    }
    return out
}

/** Integer scores of packed input bits; yields to the scheduler between slices of neurons. */
export async function scores(input: Buffer, hidden: HiddenTables[], output: OutputTables): Promise<number[]> {
    let x = input
    for (const layer of hidden) {
        const words = (layer.inputs + 31) >> 5
        const y = Buffer.alloc(((layer.outputs + 31) >> 5) * 4)
        for (let j = 0; j < layer.outputs; j++) {
            if (dot(x, layer.weights, j, words, layer.inputs) >= layer.thresholds.getAt(2 * j, "i16")) {
                y[j >> 3] |= 1 << (j & 7)
            }
            if (j % NEURONS_PER_SLICE === NEURONS_PER_SLICE - 1) await ds.sleep(0)
        }
        x = y
    }
    const words = (output.inputs + 31) >> 5
    const out: number[] = []
    for (let j = 0; j < output.outputs; j++) {
        const s = dot(x, output.weights, j, words, output.inputs)
        out.push(output.scale.getAt(4 * j, "i32") * s + output.offset.getAt(4 * j, "i32"))
    }
    return out
}

/** Lowest index of the largest score. */
export function argmax(values: number[]): number {
    let best = 0
    for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
    return best
}
