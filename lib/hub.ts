/**
 * The Jacdac hub of one simulated board: a WebSocket server on 127.0.0.1 that passes every
 * binary frame a client sends to every other client, which is what DeviceScript's devtools hub
 * does for its WebSocket clients. It runs inside `bnn sim` (no process of its own) on a port of
 * this run (`port: 0` lets the system pick a free one), so two simulators, or the tests beside a
 * simulator, never share a bus or a port.
 *
 * Only the processes of the run may join: every request and WebSocket upgrade must name the hub
 * as its Host and come from no web page but one of the hub's own address (lib/loopback-guard.ts,
 * the drawing page's server makes the same check). Another site's page open in the user's browser
 * (its Origin), or a site's name re-pointed at 127.0.0.1 (DNS rebinding: its Host), gets a 403
 * before the upgrade, so it never reads or sends a frame. Our devices, the DeviceScript VM and the
 * tests connect with `ws`: no Origin, Host 127.0.0.1:<port>.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { UserError } from "./errors.ts";
import { loopbackRefusal } from "./loopback-guard.ts";

export interface Hub {
  port: number;
  url: string;
  /** Clients connected now. */
  clients(): number;
  /** Frames passed on since the start. */
  frames(): number;
  close(): Promise<void>;
}

/** Refuses an upgrade before it happens: a 403 with the reason, then the connection is closed (as ws does). */
function refuseUpgrade(socket: Duplex, error: string): void {
  const body = `${error}\n`;
  socket.on("error", () => {});
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function startHub(port = 0): Promise<Hub> {
  /** The port listened on (known once listening; no request comes before). */
  let actual = port;
  const server: Server = createServer((req, res) => {
    const refusal = loopbackRefusal(req.headers, actual);
    res.statusCode = refusal ? 403 : 426;
    res.end(refusal ? `${refusal.error}\n` : "a Jacdac WebSocket hub: connect with ws://\n");
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = loopbackRefusal(req.headers, actual);
    if (refusal) return refuseUpgrade(socket, refusal.error);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  wss.on("error", () => {}); // the server's own errors (a busy port) are handled below
  const clients = new Set<WebSocket>();
  let frames = 0;
  wss.on("connection", (ws) => {
    clients.add(ws);
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return; // the bus carries binary frames only
      frames++;
      for (const c of clients) if (c !== ws && c.readyState === c.OPEN) c.send(data, { binary: true });
    });
    ws.on("close", () => clients.delete(ws));
    ws.on("error", () => clients.delete(ws));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "EADDRINUSE" ? new UserError(`port ${port} is busy: choose another with --port, or leave it out to use a free one`) : e);
    });
    server.listen(port, "127.0.0.1", () => {
      actual = (server.address() as AddressInfo).port;
      resolve({
        port: actual,
        url: `ws://127.0.0.1:${actual}`,
        clients: () => clients.size,
        frames: () => frames,
        close: () =>
          new Promise<void>((done) => {
            for (const c of clients) c.terminate();
            wss.close(() => server.close(() => done()));
          }),
      });
    });
  });
}
