/** `bnn`: the host-side entry point (train, eval, export, bench). */
import { readFileSync } from "node:fs";
import { asUserError, ExitCode, UserError } from "../lib/errors.ts";
import { helpText, parseCommand, type Command } from "../lib/args.ts";

const PROG = "bnn";
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
/**
 * The commands, in the order help lists them; each module is loaded when its command runs (a
 * command's start-up then costs its own imports only, not every command's: ~0.3 s a run).
 */
const COMMANDS: Record<string, () => Promise<unknown>> = {
  sim: async () => (await import("./sim.ts")).simCommand,
  train: async () => (await import("./train.ts")).trainCommand,
  crossval: async () => (await import("./crossval.ts")).crossvalCommand,
  eval: async () => (await import("./eval.ts")).evalCommand,
  classify: async () => (await import("./classify.ts")).classifyCommand,
  import: async () => (await import("./import.ts")).importCommand,
  export: async () => (await import("./export.ts")).exportCommand,
  codegen: async () => (await import("./codegen.ts")).codegenCommand,
  regen: async () => (await import("./regen.ts")).regenCommand,
  verify: async () => (await import("./verify.ts")).verifyCommand,
  report: async () => (await import("./report.ts")).reportCommand,
  bench: async () => (await import("./bench.ts")).benchCommand,
  firmware: async () => (await import("./firmware.ts")).firmwareCommand,
  monitor: async () => (await import("./monitor.ts")).monitorCommand,
};

/** Every command, loaded (for the help text and tests). */
export async function allCommands(): Promise<Command[]> {
  return (await Promise.all(Object.values(COMMANDS).map((load) => load()))) as Command[];
}

async function mainHelp(): Promise<string> {
  return [
    `${PROG} — binary neural network digit recognition: train, evaluate and export models`,
    "",
    `usage: ${PROG} <command> [options]     (${PROG} <command> --help for its options; ${PROG} --version)`,
    "",
    "commands:",
    ...(await allCommands()).map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    console.log(`${PROG} ${VERSION}`);
    return ExitCode.Ok;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(await mainHelp());
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new UserError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(", ")})`, ExitCode.Usage);
  const command = (await load()) as Command;
  const parsed = parseCommand(PROG, command, rest);
  if (!parsed) return ExitCode.Ok;
  return (await command.run(parsed.opts, parsed.positionals, parsed.given)) ?? ExitCode.Ok;
}

export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    const user = asUserError(e);
    if (user) {
      console.error(`${PROG}: ${user.message.split("\n")[0]}`);
      process.exitCode = user.exitCode;
    } else {
      console.error(`${PROG}: internal error (a bug, please report): ${(e as Error)?.stack ?? e}`);
      process.exitCode = ExitCode.Internal;
    }
  }
}

export { helpText };
/** For bin/bnn.mjs: a failed standard output in words. */
export { systemReason } from "../lib/errors.ts";
