// The DeviceScript program: classifies digits with the BNN and streams one result line per digit
// to the console, which a board sends out over serial (format: src/stream-format.ts).
// Native path: the firmware's classifier service (src/classifier.ts) when one is bound and runs
// this program's model; otherwise, or when it stops answering, the bytecode fallback (src/bnn.ts)
// for that digit, so no digit is lost. This stage classifies the sample MNIST test digits
// compiled into the image (src/digits.ts).
import * as ds from "@devicescript/core"
import { argmax, packPixels, scores } from "./bnn"
import { classifierRole, classifyNative, nativeAvailable } from "./classifier"
import { DIGIT_COUNT, DIGIT_HEIGHT, DIGIT_LABELS, DIGIT_PIXELS, DIGIT_WIDTH } from "./digits"
import { HIDDEN, INPUT_THRESHOLD, MODEL_ID, MODEL_ID32, OUTPUT } from "./models/default"
import { formatResult } from "./stream-format"

const PIXELS = DIGIT_WIDTH * DIGIT_HEIGHT
const MODEL = MODEL_ID.slice(0, 8)
const NATIVE_TIMEOUT_MS = 500

let useNative = await nativeAvailable(MODEL_ID32, 3000)
console.log(`bnn: model ${MODEL_ID}, ${DIGIT_COUNT} sample digits, backend ${useNative ? "native" : "bytecode"}`)

for (let i = 0; i < DIGIT_COUNT; i++) {
    const bits = packPixels(DIGIT_PIXELS.slice(i * PIXELS, (i + 1) * PIXELS), INPUT_THRESHOLD)
    let digit = -1
    let micros = 0
    let s: number[] = undefined
    let backend = "native"
    if (useNative) {
        let r = await classifyNative(MODEL_ID32, i, bits, NATIVE_TIMEOUT_MS)
        if (!r) r = await classifyNative(MODEL_ID32, i, bits, NATIVE_TIMEOUT_MS) // one retry
        if (r) {
            digit = r.digit
            micros = r.micros
            s = r.scores
        } else {
            console.log(`bnn: no answer from the classifier for digit ${i}: bytecode fallback`)
            useNative = false
        }
    }
    if (!s) {
        backend = "bytecode"
        const t0 = ds.millis()
        s = await scores(bits, HIDDEN, OUTPUT)
        micros = (ds.millis() - t0) * 1000
        digit = argmax(s)
        if (!useNative && classifierRole.isBound) useNative = await nativeAvailable(MODEL_ID32, 0)
    }
    console.log(formatResult({ seq: i, digit, label: DIGIT_LABELS[i], micros, backend, model: MODEL, scores: s }))
}
console.log("bnn: done")
