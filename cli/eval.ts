/**
 * `bnn eval`: accuracy and confusion matrix of a model on the official MNIST test set. The
 * evaluation takes seconds (about 5 s for cnn on an idle machine, several times that on a busy
 * one): it says what it does on stderr at once, then shows its progress there with rate and ETA.
 */
import { tableBytes } from "../lib/export/tables.ts";
import { loadMnist } from "../lib/mnist.ts";
import { evaluate, requireMnistShape } from "../lib/model/evaluate.ts";
import { describeLayers, readModelFile } from "../lib/model/format.ts";
import { resolveModelPath } from "../lib/paths.ts";
import { defineCommand, onlyWith } from "../lib/args.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import { ProgressBar } from "../lib/report/progress.ts";

export const evalCommand = defineCommand({
  name: "eval",
  summary: "evaluate a model on the 10,000 MNIST test images (integer inference)",
  options: {
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    json: { type: "boolean", description: "print JSON (top-level accuracy, confusion, perClass, footprint)" },
    dump: { type: "string", description: "write each test image's integer scores as JSONL", metavar: "file" },
    force: { type: "boolean", description: "overwrite the --dump file if it exists" },
  },
  async run(o, _positionals, given) {
    onlyWith(given, "force", o.dump !== undefined, "only applies with --dump");
    const dump = o.dump === undefined ? undefined : outputFile(o.dump, "--dump", { force: o.force });
    const model = readModelFile(resolveModelPath(o.model));
    requireMnistShape(model, "eval");
    const test = loadMnist("test");
    const lines: string[] = [];
    process.stderr.write(`eval: model ${model.file.name} (id ${model.id}) on the ${test.count} MNIST test images ...\n`);
    const bar = new ProgressBar({ label: "eval", total: test.count, unit: "img" });
    const e = evaluate(model, test, (i, scores, digit) => {
      if (dump) lines.push(JSON.stringify({ index: i, label: test.labels[i], digit, scores: Array.from(scores) }));
      bar.update(i + 1);
    });
    bar.finish();
    if (dump) writeOutput(dump, lines.join("\n") + "\n");
    const bytes = tableBytes(model);
    const footprint = {
      packedWeightBytes: bytes.weights,
      thresholdBytes: bytes.thresholds,
      float32WeightBytes: bytes.floatWeights,
      ratio: bytes.floatWeights / bytes.weights,
    };
    if (o.json) {
      console.log(
        JSON.stringify({
          model: model.file.name,
          id: model.id,
          accuracy: e.accuracy,
          correct: e.correct,
          total: e.total,
          perClass: e.perClass,
          confusion: e.confusion,
          footprint,
        }),
      );
      return;
    }
    console.log(`model ${model.file.name} (id ${model.id}), layers ${describeLayers(model)}`);
    console.log(`test accuracy: ${(100 * e.accuracy).toFixed(2)} % (${e.correct}/${e.total})`);
    console.log(
      `packed weights: ${bytes.weights} bytes + ${bytes.thresholds} bytes of thresholds/scales; float32 weights would take ${bytes.floatWeights} bytes (${footprint.ratio.toFixed(2)}x smaller)`,
    );
    console.log("");
    console.log("confusion matrix (rows: true digit, columns: predicted)");
    console.log("      " + e.confusion.map((_, k) => String(k).padStart(5)).join("") + "   accuracy");
    e.confusion.forEach((row, k) => console.log(`  ${k}:  ` + row.map((v) => String(v).padStart(5)).join("") + `   ${(100 * e.perClass[k]).toFixed(2)} %`));
    if (o.dump) console.log(`\nscores of ${e.total} images written to ${o.dump}`);
  },
});
