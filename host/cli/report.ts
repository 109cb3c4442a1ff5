/** `bnn report`: footprint and speed of a model's generated C (markdown, --json, --svg). */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { modelFromTables } from "../../firmware-codegen/src/generate.ts";
import { buildReport, reportMarkdown } from "../../firmware-codegen/src/report.ts";
import { inputRecords } from "../../firmware-codegen/src/verify.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadTables } from "../lib/export/load-tables.ts";
import { IMAGE_PIXELS, loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { pixelIsOn } from "../lib/binary.ts";
import { resolveModelPath, TABLES_DIR } from "../lib/paths.ts";
import { GENERATED_C_DIR } from "../../firmware-codegen/src/paths.ts";
import { barChartSvg } from "../lib/report/svg.ts";
import { defineCommand } from "../lib/args.ts";
import { checkCommittedC } from "../../firmware-codegen/src/codegen.ts";

export const reportCommand = defineCommand({
  name: "report",
  summary: "flash, RAM, operations and emulated-core instructions/cycles of a model's generated C",
  options: {
    model: { type: "string", description: "shipped model name", default: "default", metavar: "name" },
    images: { type: "int", description: "test images to average the instruction counts over", default: 100, min: 1, max: 10000 },
    json: { type: "boolean", description: "print JSON" },
    svg: { type: "string", description: "also write a picture of bytes and operations per layer", metavar: "file" },
    force: { type: "boolean", description: "overwrite the --svg file" },
  },
  async run(o) {
    const model = readModelFile(resolveModelPath(o.model));
    const name = model.file.name;
    const modelDir = join(GENERATED_C_DIR, name);
    await checkCommittedC(name);
    if (o.svg && existsSync(o.svg) && !o.force) throw new UserError(`${o.svg} exists; pass --force to overwrite it`, ExitCode.WouldOverwrite);
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
    const records = Buffer.concat([all.subarray(0, o.images * recordBytes), all.subarray(worst * recordBytes, (worst + 1) * recordBytes)]);
    const cmodel = modelFromTables(loadTables(join(TABLES_DIR, `${name}.ts`)));
    const r = await buildReport(cmodel, modelDir, records.subarray(0, o.images * recordBytes), 0);
    // worst case measured separately on the densest image
    const w = await buildReport(cmodel, modelDir, records.subarray(o.images * recordBytes), 0);
    r.speed.forEach((s, k) => Object.assign(s, { worstImage: worst, worstInstructions: w.speed[k].meanInstructions, worstCycles: w.speed[k].meanCycles, worstUs: w.speed[k].meanUs, trmWorstCycles: w.speed[k].trmMeanCycles }));
    r.notes.push(`Worst image: test image ${worst}, ${worstOn} of ${IMAGE_PIXELS} pixels on (the most of the test set; the columns method's work grows with them).`);
    if (o.svg) {
      writeFileSync(
        o.svg,
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
  },
});
