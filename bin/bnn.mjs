#!/usr/bin/env node
// The `bnn` command: runs the TypeScript CLI through tsx (no build step to go stale).
import { register } from "tsx/esm/api";

register();
const { run, systemReason } = await import("../cli/main.ts");
// `bnn eval | head` closes the pipe early: that is not an error. Any other failure to write the
// output (`> /dev/full`: no space left) ends the command with one line on stderr, exit 3.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  try {
    process.stderr.write(`bnn: cannot write the standard output: ${systemReason(e)}\n`);
  } finally {
    process.exit(3);
  }
});
// a closed or full stderr has nowhere to report to: exit with the same code
process.stderr.on("error", () => process.exit(3));
await run(process.argv.slice(2));
