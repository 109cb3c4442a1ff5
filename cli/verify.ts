/** `bnn verify`: the verification matrix (every backend, every test image, exact integer outputs). */
import { modelC } from "../lib/codegen/model-c.ts";
import { BACKENDS, describeDifference, inputRecords, verifyBackends, type BackendResult } from "../lib/measure/verify.ts";
import { defineCommand, usageError } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadMnist } from "../lib/mnist.ts";
import { requireMnistShape } from "../lib/model/evaluate.ts";
import { formatDuration } from "../lib/report/progress.ts";

/** How often a long run says on stderr how far it is. */
const PROGRESS_MS = 5000;

export const verifyCommand = defineCommand({
  name: "verify",
  summary: "run every test image through every backend and compare integer outputs with the reference",
  options: {
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    images: { type: "int", description: "test images to use", default: 10000, min: 1, max: 10000 },
    backends: { type: "string", description: `comma-separated subset of ${BACKENDS.map((b) => b.name).join(",")}`, metavar: "list" },
    requireAll: { type: "boolean", description: "fail when a backend's tools are missing" },
    json: { type: "boolean", description: "print JSON: one entry per backend with name, status, agree, total" },
  },
  async run(o) {
    let backends = BACKENDS;
    if (o.backends !== undefined) {
      const names = o.backends
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (names.length === 0) throw usageError(`--backends lists no backend (known: ${BACKENDS.map((b) => b.name).join(", ")})`);
      const unknown = names.find((n) => !BACKENDS.some((b) => b.name === n));
      if (unknown) throw usageError(`--backends: unknown backend '${unknown}' (known: ${BACKENDS.map((b) => b.name).join(", ")})`);
      backends = BACKENDS.filter((b) => names.includes(b.name));
    }
    const c = await modelC(o.model);
    try {
      const { model } = c;
      requireMnistShape(model, "verify");
      const input = inputRecords(model, loadMnist("test"), o.images);
      const print = (r: BackendResult) => {
        if (o.json) return;
        const figures =
          r.status === "unavailable" || r.status === "not applicable"
            ? `${r.status}: ${r.message}`
            : r.status === "error"
              ? `error: ${r.message}`
              : `${r.agree}/${r.total} agree  (${r.seconds.toFixed(1)} s)${r.first ? "  " + describeDifference(r.first) : ""}${r.sampled ? `  (sample: ${r.sampled})` : ""}`;
        console.log(`${r.status === "ok" ? "ok  " : r.status === "not applicable" ? "n/a " : "FAIL"}  ${r.name.padEnd(16)} ${figures}`);
      };
      if (!o.json) console.log(`reference: TypeScript integer inference, model ${model.file.name} (${model.id}), ${o.images} test images`);
      // a CNN's matrix takes minutes: every PROGRESS_MS, a line on stderr with what is done, when
      // that changed (no line: nothing moved)
      const started = performance.now();
      const running = new Map<string, string>();
      let finished = 0;
      let lastState = `0/${backends.length}`;
      const progress = () => {
        const parts = [...running.values()];
        const state = `${finished}/${backends.length} backends done${parts.length ? `; ${parts.join(", ")}` : ""}`;
        if (state === lastState) return;
        lastState = state;
        process.stderr.write(`verify ${model.file.name}: ${state} (${formatDuration((performance.now() - started) / 1000)})\n`);
      };
      const ticker = setInterval(progress, PROGRESS_MS).unref();
      const results = await verifyBackends(
        model,
        c.dir,
        input,
        backends,
        (r) => {
          finished++;
          running.delete(r.name);
          print(r);
        },
        { shipped: c.shipped, onProgress: (name, done, total) => running.set(name, `${name} ${done}/${total}`) },
      ).finally(() => clearInterval(ticker));
      if (o.json) console.log(JSON.stringify({ model: model.file.name, id: model.id, images: o.images, backends: results }));
      const bad = results.filter((r) => r.status === "differs" || r.status === "error" || (o.requireAll && r.status === "unavailable"));
      if (bad.length) throw new UserError(`verification failed on ${bad.map((b) => b.name).join(", ")}`, ExitCode.Mismatch);
      if (!results.some((r) => r.status === "ok")) throw new UserError("no backend could run (see the lines above)", ExitCode.Mismatch);
    } finally {
      c.close();
    }
  },
});
