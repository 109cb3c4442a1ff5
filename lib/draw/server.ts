/**
 * The drawing page's web server (`bnn sim --draw`): HTTP on 127.0.0.1 only, on a free port or the
 * one given. It serves the page (self-contained: no file or host but this one), takes each
 * finished digit and each save as a JSON POST, and pushes what happens to every open page as
 * Server-Sent Events. Requests must name this server as their Host (and, when a browser sends
 * one, as their Origin: lib/loopback-guard.ts, the check the simulator's hub makes too), so
 * another web site open in the same browser cannot post drawings or write the save file: a wrong
 * Host is a 421, a wrong Origin a 403. A body over 1 MiB is a 413 the client gets to read (by
 * Content-Length before any of it is read, chunked once that much has come). close() ends the
 * event streams and every connection, so the port is free when it returns.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UserError } from "../errors.ts";
import { loopbackRefusal } from "../loopback-guard.ts";

/** Largest request body taken (a drawing of MAX_PAGE_POINTS points is about 200 KB). */
const MAX_BODY = 1 << 20;

export interface DrawServerOptions {
  /** 0: a free port. */
  port: number;
  /** The page's HTML. */
  page: string;
  /** POST endpoints (path -> handler of the parsed JSON body); a thrown Error is a 400 with its message. */
  routes: Record<string, (body: unknown) => unknown>;
  /** Events a page gets as soon as it connects (the state so far). */
  hello?: () => { event: string; data: unknown }[];
}

export interface DrawServer {
  port: number;
  url: string;
  /** Sends an event to every open page. */
  broadcast(event: string, data: unknown): void;
  /** Pages connected to the event stream now. */
  pages(): number;
  close(): Promise<void>;
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** A request body over MAX_BODY. */
class TooLarge extends Error {}

/**
 * The body of `req`, as text. One over MAX_BODY (by its Content-Length, or once that much has
 * come) rejects with TooLarge at once, and the rest is read and dropped: the 413 goes out on a
 * connection that stays open, so the client reads it instead of a reset (a socket closed while
 * the client still sends is reset, and the answer with it).
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      req.removeAllListeners("data");
      req.resume();
      reject(new TooLarge("request too large"));
    };
    if (Number(req.headers["content-length"]) > MAX_BODY) return tooLarge();
    let size = 0;
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        parts.length = 0;
        tooLarge();
      } else parts.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

export function startDrawServer(o: DrawServerOptions): Promise<DrawServer> {
  const streams = new Set<ServerResponse>();
  let port = o.port;
  const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) =>
    void handle(req, res, expectsContinue).catch(() => {
      if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.end();
    });
  const server = createServer((req, res) => serve(req, res, false));
  // Expect: 100-continue: the body comes only once we say so; any other answer ends the
  // connection, where a body that never came would otherwise be waited for
  server.on("checkContinue", (req, res) => {
    res.setHeader("connection", "close");
    serve(req, res, true);
  });
  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const refusal = loopbackRefusal(req.headers, port);
    if (refusal) return send(res, refusal.what === "host" ? 421 : 403, { error: refusal.error });
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        // the page loads nothing from anywhere: its script and style are inline, it talks only to us
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
      });
      return void res.end(o.page);
    }
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
      res.write("retry: 1000\n\n");
      streams.add(res);
      const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
      ping.unref();
      res.on("close", () => {
        clearInterval(ping);
        streams.delete(res);
      });
      for (const e of o.hello?.() ?? []) sse(res, e.event, e.data);
      return;
    }
    const route = o.routes[path];
    if (!route) return send(res, 404, { error: "not found" });
    if (req.method !== "POST") return send(res, 405, { error: "POST only" });
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return send(res, 415, { error: "send application/json" });
    // a client that asks first (Expect: 100-continue) sends no body we would refuse
    if (expectsContinue) {
      if (Number(req.headers["content-length"]) > MAX_BODY) return send(res, 413, { error: "request too large" });
      res.writeContinue();
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      return e instanceof TooLarge ? send(res, 413, { error: e.message }) : send(res, 400, { error: "not JSON" });
    }
    try {
      return send(res, 200, await route(body));
    } catch (e) {
      return send(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  }
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "EADDRINUSE" ? new UserError(`--http-port ${o.port} is busy: choose another, or leave it out to use a free one`) : e);
    });
    server.listen(o.port, "127.0.0.1", () => {
      port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://127.0.0.1:${port}/`,
        broadcast: (event, data) => {
          for (const s of streams) sse(s, event, data);
        },
        pages: () => streams.size,
        close: () =>
          new Promise<void>((done) => {
            for (const s of streams) s.end();
            streams.clear();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
