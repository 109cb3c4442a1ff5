/** `bnn regen`: writes (or with --check, compares) every generated file the repository commits. */
import { defineCommand } from "../lib/args.ts";
import { ExitCode, UserError } from "../lib/errors.ts";
import { generatedFiles } from "../lib/generated-files.ts";

export const regenCommand = defineCommand({
  name: "regen",
  summary: "regenerate every generated file (weight tables, C, wasm, pictures, sample digits, fixtures)",
  usage: "The list and the order are in lib/generated-files.ts. --check writes nothing and exits 5 naming every stale file.",
  options: {
    check: { type: "boolean", description: "write nothing; exit 5 if any generated file is missing or stale" },
    json: { type: "boolean", description: "print one JSON object: every file with its status" },
  },
  async run(o) {
    const rows: { paths: string[]; from: string; status: string }[] = [];
    const problems: string[] = [];
    for (const f of generatedFiles()) {
      const before = await f.status();
      let status: string = before;
      if (!o.check && before !== "fresh") {
        if (await f.write()) status = before === "missing" ? "written" : "updated";
        else {
          status = `${before}, not rebuilt: needs ${f.needs}`;
          problems.push(`${f.paths[0]} (needs ${f.needs})`);
        }
      } else if (o.check && before !== "fresh") problems.push(`${f.paths.join(", ")} is ${before}`);
      rows.push({ paths: f.paths, from: f.from, status });
      if (!o.json) console.log(`${status.padEnd(8)} ${f.paths.join(", ")}  (from ${f.from})`);
    }
    if (o.json) console.log(JSON.stringify({ files: rows, stale: problems.length }));
    if (problems.length) {
      throw new UserError(
        o.check
          ? `${problems.length} generated file(s) out of date: ${problems.join("; ")}; run npm run bnn -- regen`
          : `could not regenerate ${problems.join("; ")}`,
        ExitCode.Mismatch,
      );
    }
  },
});
