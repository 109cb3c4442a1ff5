// The serial result stream: one line per classified digit, written by the DeviceScript program
// (console.log -> DMESG -> USB serial or the board's UART log pin) and read by `bnn monitor` and
// `bnn sim` (host/lib/stream.ts); docs/serial-protocol.md describes it. Plain TypeScript with no imports, so both sides share it.
//
//   @bnn 1 seq=12 src=touch digit=7 label=-1 us=8421 backend=native model=191e9cb9 scores=-5,..,9*4f
//
// `1` is the format version; src is the input source (touch, camera, samples); label is -1 when
// unknown (touch and camera); us is the inference time in microseconds;
// backend is "native" (the firmware's C classifier service) or "bytecode" (the DeviceScript
// fallback); model is the first 8 hex digits of the model id; after `*` comes the XOR of the
// character codes between `@` and `*`, two lowercase hex digits, so noise cannot pass as a result.

export const STREAM_VERSION = 1

export interface StreamResult {
    seq: number
    source: string
    digit: number
    label: number
    inferenceUs: number
    backend: string
    model: string
    scores: number[]
}

const HEX = "0123456789abcdef"

export function streamChecksum(body: string): string {
    let x = 0
    for (let i = 0; i < body.length; i++) x = x ^ body.charCodeAt(i)
    x = x & 0xff
    return HEX[x >> 4] + HEX[x & 15]
}

/** An unsigned 32-bit number as 8 lowercase hex digits. */
export function hex8(n: number): string {
    let s = ""
    for (let shift = 28; shift >= 0; shift -= 4) s = s + HEX[(n >>> shift) & 15]
    return s
}

export function formatResult(r: StreamResult): string {
    // concatenation: DeviceScript's compiler takes only a few substitutions per template
    const body =
        "bnn " + STREAM_VERSION + " seq=" + r.seq + " src=" + r.source + " digit=" + r.digit + " label=" + r.label +
        " us=" + Math.round(r.inferenceUs) + " backend=" + r.backend + " model=" + r.model +
        " scores=" + r.scores.join(",")
    return "@" + body + "*" + streamChecksum(body)
}
