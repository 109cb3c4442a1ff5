import * as ds from "@devicescript/core"
import { argmax, scores } from "./bnn"
import { HIDDEN, MODEL_ID, OUTPUT } from "./models/default"

console.log(`bnn model ${MODEL_ID}`)
const input = Buffer.alloc(100)
const s = await scores(input, HIDDEN, OUTPUT)
console.log(`digit ${argmax(s)} scores ${s.join(",")}`)
