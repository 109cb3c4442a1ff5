// The native path: the firmware's BNN classifier service (services/bnnclassifier.md), reached as a
// Jacdac role, so the same code talks to the C service on a board and to the simulated device
// (devices/classifier.ts) in the simulator. (Module state, not a class: DeviceScript closures
// cannot capture `this`.)
import * as ds from "@devicescript/core"
import { hex8 } from "./shared/stream-format"


export interface NativeResult {
    digit: number
    inferenceUs: number
    scores: number[]
}

export const classifierRole = new ds.BnnClassifier()
let waitingSeq = -1
let answer: NativeResult = undefined
let failed = false
/** The binding was checked and its model differs: not asked again until it rebinds. */
let mismatched = false

classifierRole.binding().subscribe(bound => {
    if (!bound) mismatched = false
})

classifierRole.report().subscribe(async pkt => {
    if (pkt.spec.code !== ds.BnnClassifierCodes.ReportClassify) return
    const p = pkt.payload
    if (p.length < 12 || p.getAt(0, "u32") !== waitingSeq) return
    if (p.getAt(4, "u8") !== ds.BnnClassifierStatus.Ok) {
        console.log(`bnn: classifier error status ${p.getAt(4, "u8")} for seq ${waitingSeq}`)
        failed = true
        return
    }
    const scores: number[] = []
    for (let o = 12; o + 4 <= p.length; o += 4) scores.push(p.getAt(o, "i32"))
    answer = { digit: p.getAt(5, "i8"), inferenceUs: p.getAt(8, "u32"), scores }
})

/** True when a classifier is bound within `waitMs` and runs the model `modelId32`. */
export async function nativeAvailable(modelId32: number, waitMs: number): Promise<boolean> {
    for (let t = 0; t < waitMs && !classifierRole.isBound; t += 50) await ds.sleep(50)
    if (!classifierRole.isBound || mismatched) return false
    const id = await classifierRole.modelId.read()
    if (id !== modelId32) {
        console.log(`bnn: the classifier runs model ${hex8(id)}, this program ${hex8(modelId32)}: not using it`)
        mismatched = true
        return false
    }
    return true
}

/** Classifies packed input bits; undefined when no good answer came within `timeoutMs`. */
export async function classifyNative(modelId32: number, seq: number, bits: Buffer, timeoutMs: number): Promise<NativeResult> {
    waitingSeq = seq
    answer = undefined
    failed = false
    await classifierRole.classify(modelId32, seq, bits)
    const t0 = ds.millis()
    while (!answer && !failed && ds.millis() - t0 < timeoutMs) await ds.sleep(1)
    return answer
}
