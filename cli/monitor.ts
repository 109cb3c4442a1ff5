/**
 * `bnn monitor`: the result stream of a real board, read from its serial port (or from
 * standard input), printed live as a table, JSON lines or CSV, with a summary at the end.
 * Noise (DMESG text, Jacdac binary frames, damaged lines) is skipped; a port that vanishes is
 * reopened every 500 ms. Library code: lib/monitor/.
 */
import { ExitCode } from "../lib/errors.ts";
import { FORMATS, summaryText, type Format } from "../lib/monitor/render.ts";
import { runSession } from "../lib/monitor/session.ts";
import { serialSource, stdinSource } from "../lib/monitor/source.ts";
import { defineCommand, usageError } from "../lib/args.ts";

export const monitorCommand = defineCommand({
  name: "monitor",
  summary: "show the result stream of a board on a serial port (or standard input)",
  usage:
    "Prints every result the program can write (checksum and every field valid: docs/serial-protocol.md);\n" +
    "DMESG text and binary frames are skipped, damaged, impossible, cut and overlong lines are counted.\n" +
    "A port that closes is reopened every 500 ms. Without --timeout a port that cannot be opened at\n" +
    "the start is an error at once; with it, monitor waits that long for the port to appear. A path\n" +
    "that is no serial device (a file, a directory, /dev/null) is an error at once: a saved stream\n" +
    "is read with --stdin < FILE.",
  options: {
    port: { type: "string", description: "serial port to read (required unless --stdin)", metavar: "path" },
    baud: { type: "int", description: "baud rate", default: 115200, min: 1, max: 10_000_000 },
    format: { type: "string", description: "output format", default: "table", choices: FORMATS },
    count: { type: "int", description: "stop after this many results", min: 1, metavar: "N" },
    timeout: { type: "number", description: "stop after this many seconds without a result", min: 0.1, metavar: "S" },
    stdin: { type: "boolean", description: "read the stream from standard input instead of a port" },
    json: { type: "boolean", description: "same as --format jsonl" },
  },
  async run(o) {
    if (o.json && o.format !== "table" && o.format !== "jsonl")
      throw usageError(`monitor: --json means --format jsonl; it conflicts with --format ${o.format}`);
    const format: Format = o.json ? "jsonl" : (o.format as Format);
    if (o.stdin && o.port !== undefined) throw usageError("monitor: give either --port or --stdin, not both");
    if (!o.stdin && o.port === undefined) throw usageError("monitor: --port is required (e.g. --port /dev/ttyACM0), or --stdin");
    const source = o.stdin ? stdinSource() : serialSource(o.port!, o.baud, { waitForPort: o.timeout !== undefined });
    const { summary, error } = await runSession(source, {
      format,
      count: o.count,
      timeoutS: o.timeout,
      what: o.stdin ? "standard input" : `port ${o.port}`,
      out: (line) => process.stdout.write(line + "\n"),
      err: (line) => process.stderr.write(line + "\n"),
    });
    if (format === "jsonl") process.stdout.write(JSON.stringify({ summary }) + "\n");
    else process.stderr.write(summaryText(summary) + "\n");
    if (error) throw error;
    return ExitCode.Ok;
  },
});
