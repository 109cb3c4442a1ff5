/** `bnn`: the host-side entry point (train, eval, export, bench). */
import { readFileSync } from "node:fs";
import { asUserError, ExitCode, UserError } from "../lib/errors.ts";
import { helpText, parseCommand, type Command } from "../lib/args.ts";
import { benchCommand } from "./bench.ts";
import { classifyCommand } from "./classify.ts";
import { codegenCommand } from "./codegen.ts";
import { evalCommand } from "./eval.ts";
import { exportCommand } from "./export.ts";
import { monitorCommand } from "./monitor.ts";
import { regenCommand } from "./regen.ts";
import { reportCommand } from "./report.ts";
import { simCommand } from "./sim.ts";
import { trainCommand } from "./train.ts";
import { verifyCommand } from "./verify.ts";

const PROG = "bnn";
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const COMMANDS = [simCommand, trainCommand, evalCommand, classifyCommand, exportCommand, codegenCommand, regenCommand, verifyCommand, reportCommand, benchCommand, monitorCommand] as unknown as Command[];

function mainHelp(): string {
  return [
    `${PROG} — binary neural network digit recognition: train, evaluate and export models`,
    "",
    `usage: ${PROG} <command> [options]     (${PROG} <command> --help for its options; ${PROG} --version)`,
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    console.log(`${PROG} ${VERSION}`);
    return ExitCode.Ok;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UserError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(", ")})`, ExitCode.Usage);
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
