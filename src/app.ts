// The DeviceScript program: reads digits from an input source, classifies them with the BNN and
// streams one result line per digit to the console, which a board sends out over serial
// (format: src/shared/stream-format.ts). Its entry points pass the model: src/main.ts the
// default one, src/models/<name>.main.ts (generated) each other shipped model.
//
// Input: a Digit Touch panel (src/touch/: strokes, a digit ends when the pen stays up), a Digit
// Camera (src/camera/: grayscale frames), or the sample MNIST test digits compiled into the image
// (src/digits.ts) when no input device is bound. Classification: the firmware's classifier
// service (src/classifier.ts) when one is bound and runs this program's model; otherwise, or
// when it stops answering, the bytecode fallback (src/bnn.ts) for that digit, so no digit is lost.
import * as ds from "@devicescript/core"
import { packPixels, scores } from "./bnn"
import { preprocess } from "./shared/camera-preprocess"
import { cameraRole, captureFrame } from "./camera/frames"
import { classifierRole, classifyNative, nativeAvailable } from "./classifier"
import { rasterizeBits } from "./shared/stroke-raster"
import { addSamplesPayload, DIGIT_TIMEOUT_MS, digitReady, newStrokeSet, takeDigit } from "./shared/touch-samples"
import type { HiddenTables, OutputTables } from "./bnn"
import { formatResult, scoreFields } from "./shared/stream-format"

/** What the program needs of a model's weight tables (src/models/<name>.ts). */
export interface ProgramModel {
    MODEL_ID: string
    MODEL_ID32: number
    INPUT_THRESHOLD: number
    SCORE_SHIFT: number
    HIDDEN: HiddenTables[]
    OUTPUT: OutputTables
}

/** Sample digits compiled into the image (src/digits.ts): 28x28 grayscale, 784 bytes each. */
export interface SampleDigits {
    DIGIT_COUNT: number
    DIGIT_LABELS: Buffer
    DIGIT_PIXELS: Buffer
}

const PIXELS = 784
const NATIVE_TIMEOUT_MS = 500
const SOURCE_WAIT_MS = 2000

let useNative = false
let source = "samples"
let model: ProgramModel = undefined
let MODEL = ""

/**
 * Classifies packed input bits and writes the result line; `since` is when the input became
 * complete (ds.millis()), for the line's input-to-line time.
 */
async function classifyAndReport(seq: number, bits: Buffer, label: number, since: number) {
    let inferenceUs = 0
    let s: number[] = undefined
    let backend = "native"
    if (useNative) {
        let r = await classifyNative(model.MODEL_ID32, seq, bits, NATIVE_TIMEOUT_MS)
        if (!r) r = await classifyNative(model.MODEL_ID32, seq, bits, NATIVE_TIMEOUT_MS) // one retry
        if (r) {
            inferenceUs = r.inferenceUs
            s = r.scores
        } else {
            console.log(`bnn: no answer from the classifier for digit ${seq}: bytecode fallback`)
            useNative = false
        }
    }
    if (!s) {
        backend = "bytecode"
        const t0 = ds.millis()
        s = await scores(bits, model.HIDDEN, model.OUTPUT)
        inferenceUs = (ds.millis() - t0) * 1000
        if (!useNative && classifierRole.isBound) useNative = await nativeAvailable(model.MODEL_ID32, 0)
    }
    const f = scoreFields(s, model.SCORE_SHIFT)
    const line = formatResult({ seq, source, digit: f.digit, label, inferenceUs, totalMs: ds.millis() - since, backend, model: MODEL, runnersUp: f.runnersUp, noDigit: "", scoresCrc: f.scoresCrc })
    console.log(line)
}

async function fromSamples(samples: SampleDigits) {
    for (let i = 0; i < samples.DIGIT_COUNT; i++) {
        const since = ds.millis()
        await classifyAndReport(i, packPixels(samples.DIGIT_PIXELS.slice(i * PIXELS, (i + 1) * PIXELS), model.INPUT_THRESHOLD), samples.DIGIT_LABELS[i], since)
    }
    console.log("bnn: done")
}

async function fromCamera() {
    const width = await cameraRole.width.read()
    const height = await cameraRole.height.read()
    const digit = Buffer.alloc(PIXELS)
    for (let k = 0; ; k++) {
        const frame = await captureFrame(k, 5000, 200)
        if (!frame || frame.length !== width * height) {
            console.log(`bnn: frame ${k} did not arrive whole`)
            continue
        }
        const since = ds.millis()
        const ink = await preprocess(frame, width, height, digit, async () => {
            await ds.sleep(0)
        })
        if (ink === 0) continue // blank paper: no digit
        await classifyAndReport(k, packPixels(digit, model.INPUT_THRESHOLD), -1, since)
    }
}

const touchRole = new ds.DigitTouch()
const strokes = newStrokeSet()
touchRole.report().subscribe(async pkt => {
    if (pkt.spec.code === ds.DigitTouchCodes.ReportSamples) addSamplesPayload(strokes, pkt.payload, ds.millis())
})

async function fromTouch() {
    const width = await touchRole.width.read()
    const height = await touchRole.height.read()
    for (let k = 0; ; ) {
        if (!digitReady(strokes, ds.millis(), DIGIT_TIMEOUT_MS)) {
            await ds.sleep(20)
            continue
        }
        const since = ds.millis()
        const bits = Buffer.alloc(100)
        rasterizeBits(takeDigit(strokes), width, height, bits)
        await classifyAndReport(k++, bits, -1, since)
    }
}

/**
 * Runs the program with `tables` (never returns for touch and camera input). `samples` are
 * classified when no input device is bound; without them the program waits for a device.
 */
export async function runApp(tables: ProgramModel, samples?: SampleDigits) {
    model = tables
    MODEL = tables.MODEL_ID.slice(0, 8)
    for (let t = 0; (t < SOURCE_WAIT_MS || !samples) && source === "samples"; t += 50) {
        if (touchRole.isBound) source = "touch"
        else if (cameraRole.isBound) source = "camera"
        else await ds.sleep(50)
    }
    useNative = await nativeAvailable(model.MODEL_ID32, 1000)
    console.log(`bnn: model ${model.MODEL_ID}, source ${source}, backend ${useNative ? "native" : "bytecode"}`)
    if (source === "touch") await fromTouch()
    else if (source === "camera") await fromCamera()
    else await fromSamples(samples)
}
