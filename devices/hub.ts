/**
 * What every simulated device shares: the custom service specs that `devs build` writes from
 * services/*.md, and joining the DeviceScript devtools hub as a Jacdac device that leaves the bus
 * cleanly on SIGTERM / SIGINT.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createWebSocketBus, JDServerServiceProvider, loadServiceSpecifications, type JDBus, type JDServiceServer } from "jacdac-ts";
import WebSocket from "ws";
import { ROOT } from "../host/lib/paths.ts";

export const SPEC_PATH = join(ROOT, ".devicescript", "services.json");

/** The spec of custom service `shortId` (all custom specs are registered with jacdac-ts). */
export function customSpec(shortId: string): { spec: jdspec.ServiceSpec; specs: jdspec.ServiceSpec[] } {
  if (!existsSync(SPEC_PATH)) throw new Error(`${SPEC_PATH} is missing: run npx devs build`);
  const specs = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as jdspec.ServiceSpec[];
  const spec = specs.find((s) => s.shortId === shortId);
  if (!spec) throw new Error(`${SPEC_PATH} has no ${shortId} service: run npx devs build`);
  loadServiceSpecifications(specs);
  return { spec, specs };
}

/** Connects a device serving `servers` to the hub at `url`; disconnects and exits on a signal. */
export async function joinHub(url: string, specs: jdspec.ServiceSpec[], template: string, servers: JDServiceServer[], description: string): Promise<JDBus> {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const bus = createWebSocketBus({ url, busOptions: { services: specs } });
  bus.addServiceProvider(new JDServerServiceProvider(template, servers, { deviceDescription: description }));
  await bus.connect();
  const stop = () => {
    void bus.disconnect().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return bus;
}
