/** `bnn report`: footprint and speed of a model's generated C (markdown, --json, --svg). */
import { modelC } from "../lib/codegen/model-c.ts";
import { buildReport, reportMarkdown } from "../lib/measure/footprint.ts";
import { inputRecords } from "../lib/measure/verify.ts";
import { defineCommand, onlyWith } from "../lib/args.ts";
import { pixelIsOn } from "../lib/binary.ts";
import { IMAGE_PIXELS, loadMnist } from "../lib/mnist.ts";
import { requireMnistShape } from "../lib/model/evaluate.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import { barChartSvg } from "../lib/report/svg.ts";

export const reportCommand = defineCommand({
  name: "report",
  summary: "flash, RAM, operations and emulated-core instructions/cycles of a model's generated C",
  options: {
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    images: { type: "int", description: "test images to average the instruction counts over", default: 100, min: 1, max: 10000 },
    json: { type: "boolean", description: "print JSON" },
    svg: { type: "string", description: "also write a picture of bytes and operations per layer", metavar: "file" },
    force: { type: "boolean", description: "overwrite the --svg file" },
  },
  async run(o, _positionals, given) {
    onlyWith(given, "force", o.svg !== undefined, "only applies with --svg");
    const svg = o.svg === undefined ? undefined : outputFile(o.svg, "--svg", { force: o.force });
    const c = await modelC(o.model);
    try {
      const { model, cmodel } = c;
      requireMnistShape(model, "report");
      const name = model.file.name;
      const test = loadMnist("test");
      // the costliest input for the columns method: the most +1 pixels
      let worst = 0;
      let worstOn = -1;
      for (let i = 0; i < test.count; i++) {
        let on = 0;
        for (let p = 0; p < IMAGE_PIXELS; p++) if (pixelIsOn(test.images[i * IMAGE_PIXELS + p], model.input.threshold)) on++;
        if (on > worstOn) [worst, worstOn] = [i, on];
      }
      const all = inputRecords(model, test, test.count);
      const recordBytes = all.length / test.count;
      const records = all.subarray(0, o.images * recordBytes);
      const r = await buildReport(cmodel, c.dir, records, all.subarray(worst * recordBytes, (worst + 1) * recordBytes), worst, (step) =>
        process.stderr.write(`report: ${step}\n`),
      );
      r.notes.push(
        `Worst image: test image ${worst}, ${worstOn} of ${IMAGE_PIXELS} pixels on (the most of the test set; the columns method's work grows with them).`,
      );
      if (svg) {
        writeOutput(
          svg,
          barChartSvg(
            r.layers.flatMap((l) => [
              { label: `L${l.layer} weights (B)`, value: l.weightBytes },
              { label: `L${l.layer} constants (B)`, value: l.constantBytes },
            ]),
            { title: `${name}: flash bytes per layer (code ${r.flashBytes.code} B, RAM ${r.ramBytes.total} B)`, unit: "B" },
          ),
        );
      }
      console.log(o.json ? JSON.stringify(r) : reportMarkdown(r));
    } finally {
      c.close();
    }
  },
});
