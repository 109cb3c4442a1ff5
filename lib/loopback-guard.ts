/**
 * Who may use a server this project opens on 127.0.0.1 (the simulator's Jacdac hub, the drawing
 * page's server): the one check both make on every request and WebSocket upgrade. Listening on
 * the loopback address keeps other machines out, not other web sites: a page open in the user's
 * browser can send requests and open WebSockets to 127.0.0.1 (its Origin then names that site),
 * and a site whose name it re-points at 127.0.0.1 (DNS rebinding) even counts as same-origin
 * there (its Host then names that site). So a request must name this server as its Host
 * (127.0.0.1 or localhost, with this port), and, when it has an Origin (a browser always sends
 * one on a WebSocket and on a POST), a page of this server. Programs (our devices, the DeviceScript
 * VM, the tests' clients) send no Origin.
 */
import type { IncomingHttpHeaders } from "node:http";

/** The Host values that name a server on 127.0.0.1 at `port`. */
function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export interface Refusal {
  /** What is wrong: the Host (another name: DNS rebinding) or the Origin (another site's page). */
  what: "host" | "origin";
  /** A short reason for the response body. */
  error: string;
}

/** Why a request to the server on 127.0.0.1 at `port` must be refused, or undefined when it may be served. */
export function loopbackRefusal(headers: IncomingHttpHeaders, port: number): Refusal | undefined {
  const hosts = loopbackHosts(port);
  if (!hosts.includes((headers.host ?? "").toLowerCase())) return { what: "host", error: "wrong host" };
  const origin = headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) return { what: "origin", error: "wrong origin" };
  return undefined;
}
