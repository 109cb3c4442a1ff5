// Bytecode fallback of the BNN inference, in DeviceScript: the same integer arithmetic as the
// TypeScript reference (host/lib/model/infer.ts) and the generated C, reading the weight tables
// (src/models/*.ts) straight from flash. Conventions: src/shared/bits.ts, docs/model-format.md.
import { yieldToFirmware } from "./yield"
import { dotFromDifferences, packedBytes, packPixelBytes, popcount32, wordsFor } from "./shared/bits"

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

/** Neurons between yields: keeps each slice well under the VM's step limit (src/yield.ts). */
const NEURONS_PER_SLICE = 16

/** n - 2 * popcount(x XOR row j): the ±1 dot product of input x with weight row j. */
function dot(x: Buffer, weights: Buffer, j: number, words: number, n: number): number {
    let diff = 0
    const base = j * words * 4
    for (let k = 0; k < words; k++) {
        diff += popcount32(x.getAt(4 * k, "u32") ^ weights.getAt(base + 4 * k, "u32"))
    }
    return dotFromDifferences(n, diff)
}

/** Packs grayscale pixels (0 = background) into input bits (src/shared/bits.ts). */
export function packPixels(pixels: Buffer, threshold: number): Buffer {
    const out = Buffer.alloc(packedBytes(pixels.length))
    packPixelBytes(pixels, 0, pixels.length, threshold, out)
    return out
}

/** Integer scores of packed input bits; yields to the scheduler between slices of neurons. */
export async function scores(input: Buffer, hidden: HiddenTables[], output: OutputTables): Promise<number[]> {
    let x = input
    for (const layer of hidden) {
        const words = wordsFor(layer.inputs)
        const y = Buffer.alloc(packedBytes(layer.outputs))
        for (let j = 0; j < layer.outputs; j++) {
            if (dot(x, layer.weights, j, words, layer.inputs) >= layer.thresholds.getAt(2 * j, "i16")) {
                y[j >> 3] |= 1 << (j & 7)
            }
            if (j % NEURONS_PER_SLICE === NEURONS_PER_SLICE - 1) await yieldToFirmware()
        }
        x = y
    }
    const words = wordsFor(output.inputs)
    const out: number[] = []
    for (let j = 0; j < output.outputs; j++) {
        const s = dot(x, output.weights, j, words, output.inputs)
        out.push(output.scale.getAt(4 * j, "i32") * s + output.offset.getAt(4 * j, "i32"))
    }
    return out
}
