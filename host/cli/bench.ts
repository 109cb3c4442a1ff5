/** `bnn bench`: measured figures. `bnn bench train`: training samples/s of a preset on this machine. */
import { cpus } from "node:os";
import { loadMnist } from "../lib/mnist.ts";
import { PRESET_NAMES, PRESETS, type PresetName } from "../lib/train/presets.ts";
import { train } from "../lib/train/trainer.ts";
import { defineCommand, usageError } from "./args.ts";

export const benchCommand = defineCommand({
  name: "bench",
  summary: "print measured figures: `bench train` = training samples/s",
  positionals: ["subject"],
  options: {
    preset: { type: "string", description: "network to train", default: "default", choices: PRESET_NAMES },
    epochs: { type: "int", description: "epochs to time", default: 2, min: 1, max: 100 },
    json: { type: "boolean", description: "print JSON" },
  },
  async run(o, positionals) {
    const subject = positionals[0] ?? "train";
    if (subject !== "train") throw usageError(`bench: unknown subject '${subject}' (subjects: train)`);
    const preset = PRESETS[o.preset as PresetName];
    const data = loadMnist("train");
    const r = await train(data, { ...preset, epochs: o.epochs, lrEnd: preset.lr });
    const rates = r.history.map((h) => Math.round(h.samplesPerSecond));
    const result = {
      bench: "train",
      preset: o.preset,
      layers: [784, ...preset.hidden, 10],
      batch: preset.batch,
      samplesPerEpoch: r.trainSamples,
      epochSeconds: r.history.map((h) => Math.round(h.seconds * 1000) / 1000),
      samplesPerSecond: Math.max(...rates),
      samplesPerSecondEachEpoch: rates,
      threads: 1,
      cpu: cpus()[0]?.model ?? "unknown",
    };
    if (o.json) console.log(JSON.stringify(result));
    else {
      console.log(`train ${o.preset} (${result.layers.join("-")}, batch ${result.batch}, 1 thread, ${result.cpu})`);
      result.epochSeconds.forEach((s, k) => console.log(`  epoch ${k + 1}: ${s.toFixed(2)} s for ${r.trainSamples} images = ${rates[k]} samples/s`));
      console.log(`best: ${result.samplesPerSecond} samples/s`);
    }
  },
});
