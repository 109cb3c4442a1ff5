/**
 * The simulator's Jacdac hub (lib/hub.ts) talks only to the processes of its own run:
 * a WebSocket whose Origin is another web site (any page open in the user's browser) or whose Host
 * is not the hub's loopback address and port (DNS rebinding) is refused with a 403 before it can
 * read or send a single frame; the clients bnn sim starts (no Origin, Host 127.0.0.1:port) are
 * relayed as before. Each test starts a hub of its own on a free port and closes it.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startHub, type Hub } from "../lib/hub.ts";

let hub: Hub | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await hub?.close();
  hub = undefined;
});

type Opened = { ws: WebSocket; frames: Buffer[] };
type Refused = { status: number; body: string; frames: Buffer[] };

/** A client with the options given: opened (and collecting frames), or refused with the hub's answer. */
function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    sockets.push(ws);
    const frames: Buffer[] = [];
    ws.on("message", (d, binary) => {
      if (binary) frames.push(d as Buffer);
    });
    ws.on("open", () => resolve({ ws, frames }));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, frames }));
    });
    ws.on("error", reject);
  });
}

function opened(c: Opened | Refused): Opened {
  expect("ws" in c, `refused: ${"status" in c ? `${c.status} ${c.body}` : ""}`).toBe(true);
  return c as Opened;
}

/** A frame from `from` reaches every other open client (the bus works). */
async function relayed(from: Opened, to: Opened[], n: number): Promise<void> {
  const before = to.map((c) => c.frames.length);
  from.ws.send(Buffer.from([n, 1, 2, 3]), { binary: true });
  for (let t = 0; t < 200 && to.some((c, i) => c.frames.length === before[i]); t++) await new Promise((r) => setTimeout(r, 10));
  for (const c of to) expect(c.frames[c.frames.length - 1]).toEqual(Buffer.from([n, 1, 2, 3]));
}

function httpGet(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port, path: "/", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on("error", reject);
    r.end();
  });
}

describe("the simulator's Jacdac hub", () => {
  it("refuses a WebSocket from another web site's page (Origin) or another host name (DNS rebinding) with 403, and relays nothing to or from it", async () => {
    hub = await startHub(0);
    const { port, url } = hub;
    // what bnn sim's devices and the DeviceScript VM send: no Origin, Host 127.0.0.1:<port>
    const a = opened(await connect(url));
    const b = opened(await connect(url));
    await relayed(a, [b], 1);

    const refused = [
      await connect(url, { origin: "http://evil.example" }),
      await connect(url, { origin: `http://evil.example:${port}` }),
      await connect(url, { origin: "null" }),
      await connect(url, { headers: { host: `evil.example:${port}` } }),
      await connect(url, { headers: { host: `127.0.0.1:${port + 1}` } }),
      await connect(url, { headers: { host: `evil.example:${port}` }, origin: `http://evil.example:${port}` }),
    ];
    for (const r of refused) {
      expect("status" in r ? r.status : "opened").toBe(403);
    }
    expect(hub.clients()).toBe(2);

    // the bus goes on between the clients of the run; no refused one ever got a frame
    await relayed(b, [a], 2);
    await relayed(a, [b], 3);
    for (const r of refused) expect(r.frames).toEqual([]);
    expect(hub.frames()).toBe(3);
  });

  it("accepts the loopback names of its own port, and the page origin of its own address", async () => {
    hub = await startHub(0);
    const { port, url } = hub;
    const a = opened(await connect(url, { headers: { host: `localhost:${port}` } }));
    const b = opened(await connect(url, { origin: `http://127.0.0.1:${port}` }));
    await relayed(a, [b], 4);
  });

  it("checks Host and Origin on plain HTTP requests too", async () => {
    hub = await startHub(0);
    const { port } = hub;
    expect(await httpGet(port, { host: `127.0.0.1:${port}` })).toBe(426);
    expect(await httpGet(port, { host: `evil.example:${port}` })).toBe(403);
    expect(await httpGet(port, { host: `127.0.0.1:${port}`, origin: "http://evil.example" })).toBe(403);
  });
});
