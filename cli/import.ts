/**
 * `bnn import --unipen FILE --out F.jsonl`: a UNIPEN file of labelled digits (plain or gzip) as a
 * stroke file (docs/strokes.md), each sample with its writer when the file names one, the tablet
 * box mapped onto the panel (lib/strokes/unipen.ts).
 */
import { defineCommand, usageError } from "../lib/args.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import { displayPath } from "../lib/paths.ts";
import { MAX_PANEL_SIDE, sampleLine, strokeFileKind } from "../lib/strokes/format.ts";
import { DEFAULT_TABLET_BOX, readUnipenFile } from "../lib/strokes/unipen.ts";

export const importCommand = defineCommand({
  name: "import",
  summary: "convert a UNIPEN file of handwritten digits into a stroke file (.jsonl) with writers",
  usage:
    "Reads .SEGMENT (label), .PEN_DOWN/.PEN_UP (strokes), .WRITER_ID or the UCI pen digits' .COMMENT (writer),\n" +
    ".X_DIM/.Y_DIM (the tablet box; else --box). Tablet points (y up) become panel points (y down), the box scaled\n" +
    'onto the panel. docs/strokes.md, "UNIPEN files".',
  options: {
    unipen: { type: "string", description: "UNIPEN file (plain text or .gz)", metavar: "file" },
    out: { type: "string", description: "stroke file to write (.jsonl)", metavar: "file" },
    width: { type: "int", description: "panel width", default: 240, min: 1, max: MAX_PANEL_SIDE },
    height: { type: "int", description: "panel height", default: 240, min: 1, max: MAX_PANEL_SIDE },
    box: {
      type: "string",
      description: `tablet box WxH when the file declares none (default ${DEFAULT_TABLET_BOX.width}x${DEFAULT_TABLET_BOX.height}, the UCI pen digits')`,
      metavar: "WxH",
    },
    force: { type: "boolean", description: "overwrite --out" },
    json: { type: "boolean", description: "print the summary as JSON" },
  },
  async run(o) {
    if (o.unipen === undefined || o.out === undefined) throw usageError("import: give --unipen FILE and --out FILE.jsonl");
    if (strokeFileKind(o.out) !== "jsonl") throw usageError(`--out ${o.out}: the stroke file is written as JSON lines; name it .jsonl`);
    let box = DEFAULT_TABLET_BOX;
    if (o.box !== undefined) {
      const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(o.box);
      if (!m || !(Number(m[1]) > 0) || !(Number(m[2]) > 0)) throw usageError(`--box must be WxH (positive numbers), e.g. 500x500; got '${o.box.slice(0, 30)}'`);
      box = { width: Number(m[1]), height: Number(m[2]) };
    }
    const out = outputFile(o.out, "--out", { force: o.force });
    const samples = readUnipenFile(o.unipen, { panel: { width: o.width, height: o.height }, box });
    writeOutput(out, samples.map((s) => sampleLine(s)).join("\n") + "\n");
    const writers = new Set(samples.flatMap((s) => (s.writer === undefined ? [] : [s.writer])));
    const perLabel = Array.from({ length: 10 }, (_, d) => samples.filter((s) => s.label === d).length);
    const summary = { file: displayPath(out), samples: samples.length, writers: writers.size, perLabel };
    if (o.json) console.log(JSON.stringify(summary));
    else
      console.log(
        `${samples.length} digits of ${writers.size} writer${writers.size === 1 ? "" : "s"} (per digit 0..9: ${perLabel.join(" ")}) written to ${summary.file}`,
      );
  },
});
