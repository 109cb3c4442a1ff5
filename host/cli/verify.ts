/** `bnn verify`: the verification matrix (every backend, every test image, exact integer outputs). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cFromModel } from "../../firmware-codegen/src/pipeline.ts";
import { describeDifference, inputRecords, verifyBackends, BACKENDS, type BackendResult } from "../../firmware-codegen/src/verify.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { loadMnist } from "../lib/mnist.ts";
import { readModelFile, type Model } from "../lib/model/format.ts";
import { MODELS_DIR, resolveModelPath } from "../lib/paths.ts";
import { GENERATED_C_DIR } from "../../firmware-codegen/src/paths.ts";
import { checkCommittedC } from "../../firmware-codegen/src/codegen.ts";
import { defineCommand, usageError } from "../lib/args.ts";

export const verifyCommand = defineCommand({
  name: "verify",
  summary: "run every test image through every backend and compare integer outputs with the reference",
  options: {
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    images: { type: "int", description: "test images to use", default: 10000, min: 1, max: 10000 },
    backends: { type: "string", description: `comma-separated subset of ${BACKENDS.map((b) => b.name).join(",")}`, metavar: "list" },
    requireAll: { type: "boolean", description: "fail when a backend's tools are missing" },
    json: { type: "boolean", description: "print JSON: one entry per backend with name, agree, total" },
  },
  async run(o) {
    const path = resolveModelPath(o.model);
    const model = readModelFile(path);
    const shipped = path === join(MODELS_DIR, model.file.name, "model.json");
    const tmp = shipped ? undefined : mkdtempSync(join(tmpdir(), "bnn-c-"));
    const modelDir = tmp ? await cFromModel(model, tmp, path) : join(GENERATED_C_DIR, model.file.name);
    if (shipped) await checkCommittedC(model.file.name);
    try {
      await verifyModel(model, modelDir, o);
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  },
});

async function verifyModel(model: Model, modelDir: string, o: { images: number; backends?: string; requireAll: boolean; json: boolean }): Promise<void> {
  let backends = BACKENDS;
  if (o.backends) {
    const names = o.backends.split(",").map((s) => s.trim());
    const unknown = names.find((n) => !BACKENDS.some((b) => b.name === n));
    if (unknown) throw usageError(`--backends: unknown backend '${unknown}' (known: ${BACKENDS.map((b) => b.name).join(", ")})`);
    backends = BACKENDS.filter((b) => names.includes(b.name));
  }
  const input = inputRecords(model, loadMnist("test"), o.images);
  const print = (r: BackendResult) => {
    if (o.json) return;
    const figures = r.status === "unavailable" ? `unavailable: ${r.message}` : r.status === "error" ? `error: ${r.message}` : `${r.agree}/${r.total} agree  (${r.seconds.toFixed(1)} s)${r.first ? "  " + describeDifference(r.first) : ""}`;
    console.log(`${r.status === "ok" ? "ok  " : "FAIL"}  ${r.name.padEnd(17)} ${figures}`);
  };
  if (!o.json) console.log(`reference: TypeScript integer inference, model ${model.file.name} (${model.id}), ${o.images} test images`);
  const results = await verifyBackends(model, modelDir, input, backends, print);
  if (o.json) console.log(JSON.stringify({ model: model.file.name, id: model.id, images: o.images, backends: results.map((r) => ({ ...r, first: r.first })) }));
  const bad = results.filter((r) => r.status === "differs" || r.status === "error" || (o.requireAll && r.status === "unavailable"));
  if (bad.length) throw new UserError(`verification failed on ${bad.map((b) => b.name).join(", ")}`, ExitCode.Mismatch);
}
