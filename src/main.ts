// The DeviceScript program: classifies digits with the BNN and streams one result line per
// digit to the console, which a board sends out over serial (src/stream-format.ts).
// This stage classifies the sample MNIST test digits compiled into the image (src/digits.ts)
// with the bytecode fallback (src/bnn.ts).
import * as ds from "@devicescript/core"
import { argmax, packPixels, scores } from "./bnn"
import { DIGIT_COUNT, DIGIT_HEIGHT, DIGIT_LABELS, DIGIT_PIXELS, DIGIT_WIDTH } from "./digits"
import { HIDDEN, INPUT_THRESHOLD, MODEL_ID, OUTPUT } from "./models/default"
import { formatResult } from "./stream-format"

const PIXELS = DIGIT_WIDTH * DIGIT_HEIGHT
const MODEL = MODEL_ID.slice(0, 8)

console.log(`bnn: model ${MODEL_ID}, ${DIGIT_COUNT} sample digits, backend bytecode`)
for (let i = 0; i < DIGIT_COUNT; i++) {
    const pixels = DIGIT_PIXELS.slice(i * PIXELS, (i + 1) * PIXELS)
    const t0 = ds.millis()
    const s = await scores(packPixels(pixels, INPUT_THRESHOLD), HIDDEN, OUTPUT)
    const micros = (ds.millis() - t0) * 1000
    console.log(
        formatResult({
            seq: i,
            digit: argmax(s),
            label: DIGIT_LABELS[i],
            micros,
            backend: "bytecode",
            model: MODEL,
            scores: s,
        })
    )
}
console.log("bnn: done")
