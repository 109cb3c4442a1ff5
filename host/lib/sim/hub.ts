/**
 * The Jacdac hub of one simulated board: a WebSocket server on 127.0.0.1 that passes every
 * binary frame a client sends to every other client, which is what DeviceScript's devtools hub
 * does for its WebSocket clients. It runs inside `bnn sim` (no process of its own) on a port of
 * this run (`port: 0` lets the system pick a free one), so two simulators, or the tests beside a
 * simulator, never share a bus or a port.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { UserError } from "../errors.ts";

export interface Hub {
  port: number;
  url: string;
  /** Clients connected now. */
  clients(): number;
  /** Frames passed on since the start. */
  frames(): number;
  close(): Promise<void>;
}

export function startHub(port = 0): Promise<Hub> {
  const server: Server = createServer((_req, res) => {
    res.statusCode = 426;
    res.end("a Jacdac WebSocket hub: connect with ws://\n");
  });
  const wss = new WebSocketServer({ server });
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
      const actual = (server.address() as AddressInfo).port;
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
