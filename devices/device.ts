/**
 * What every simulated device shares: its command line (the `bnn` option parser of
 * lib/args.ts: typed, validated, one-line errors), joining a Jacdac hub over a WebSocket as a
 * device serving the custom services of services/*.md, and leaving the bus on SIGTERM / SIGINT.
 * (A device started by bnn sim also exits when bnn sim is gone: lib/lifeline.cjs.)
 *
 *   node --import tsx devices/<name>.ts --url ws://127.0.0.1:<port> [options]
 */
import { createWebSocketBus, JDServerServiceProvider, type JDBus, type JDServiceServer } from "jacdac-ts";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { parseCommand, type Command, type OptionSpec, type OptionValues } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { customServiceSpecs } from "../lib/services.ts";

/** The option every device takes: the hub to join. */
export const URL_OPTION = {
  url: { type: "string", description: "WebSocket URL of the Jacdac hub (bnn sim passes its own)", metavar: "ws://host:port" },
} as const;

export interface Device<S extends Record<string, OptionSpec>> {
  /** Program name for messages ("touch"). */
  name: string;
  summary: string;
  options: S;
  /** Builds the device's servers from its options. */
  create(opts: OptionValues<S & typeof URL_OPTION>): Promise<{ template: string; description: string; servers: JDServiceServer[] }>;
  /** Runs once the device is on the bus; prints its ready line. */
  connected(bus: JDBus): Promise<void>;
}

/** Connects a device serving `servers` to the hub at `url`. */
export async function joinHub(url: string, template: string, servers: JDServiceServer[], description: string): Promise<JDBus> {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const specs = customServiceSpecs();
  const bus = createWebSocketBus({ url, busOptions: { services: specs } });
  bus.addServiceProvider(new JDServerServiceProvider(template, servers, { deviceDescription: description }));
  await bus.connect();
  return bus;
}

/** The main function of a device program: parses argv, joins the hub, reports errors in one line. */
export async function runDevice<S extends Record<string, OptionSpec>>(device: Device<S>, argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    const command = {
      name: device.name,
      summary: device.summary,
      options: { ...device.options, ...URL_OPTION },
      run: async () => undefined,
    } as unknown as Command<S & typeof URL_OPTION>;
    const parsed = parseCommand(`devices/${device.name}.ts`, command, argv);
    if (!parsed) return;
    const opts = parsed.opts;
    const url = (opts as { url?: string }).url;
    if (!url) throw new UserError(`--url is required (the hub's WebSocket URL)`, 2);
    const { template, description, servers } = await device.create(opts);
    const bus = await joinHub(url, template, servers, description);
    const stop = () => void bus.disconnect().finally(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    await device.connected(bus);
  } catch (e) {
    console.error(`${device.name}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    process.exit(e instanceof UserError ? e.exitCode : 1);
  }
}

/** True when the module at `moduleUrl` is the program being run (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
