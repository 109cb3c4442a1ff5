#!/usr/bin/env node
// The `bnn` command: runs the TypeScript CLI through tsx (no build step to go stale).
import { register } from "tsx/esm/api";

register();
// `bnn eval | head` closes the pipe early: that is not an error.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});
const { run } = await import("../host/cli/main.ts");
await run(process.argv.slice(2));
