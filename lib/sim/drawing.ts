/**
 * `bnn sim --draw`'s side of a run: the drawing page's server on 127.0.0.1 and its session
 * (lib/draw/). Each finished digit of the page goes to the simulated panel, the session
 * follows the panel and the program, and the page's Save appends to the save file.
 */
import { drawPage } from "../draw/page.ts";
import { startDrawServer, type DrawServer } from "../draw/server.ts";
import { DrawSession } from "../draw/session.ts";
import type { Model } from "../model/format.ts";
import { displayPath } from "../paths.ts";
import { DEFAULT_PANEL_SIZE } from "../strokes/from-image.ts";
import type { Managed } from "../processes.ts";
import type { SimReporter } from "./report.ts";
import { DIGIT_TIMEOUT_MS } from "../../src/shared/touch-samples.ts";

export interface Drawing {
  session: DrawSession;
  server: DrawServer;
  saveFile: string;
}

/**
 * Serves the page on `httpPort` (0: a free one); `toPanel` hands a digit's JSON line to the
 * simulated panel (false while it is not running). Each save is said and reported.
 */
export async function startDrawing(
  model: Model,
  httpPort: number,
  saveFile: string,
  toPanel: (line: string) => boolean,
  out: Pick<SimReporter, "say" | "event">,
): Promise<Drawing> {
  // biome-ignore lint/style/useConst: the session is made before the server; its broadcast skips while this is undefined
  let server: DrawServer | undefined;
  const session = new DrawSession({
    model,
    width: DEFAULT_PANEL_SIZE,
    height: DEFAULT_PANEL_SIZE,
    saveFile,
    toPanel,
    broadcast: (e, data) => server?.broadcast(e, data),
    saved: (sample, file) => {
      out.event({ saved: { id: sample.id, label: sample.label, file } });
      out.say(`  saved ${sample.id} (label ${sample.label}) to ${displayPath(file)}`);
    },
  });
  server = await startDrawServer({
    port: httpPort,
    page: drawPage({ width: DEFAULT_PANEL_SIZE, height: DEFAULT_PANEL_SIZE, penUpMs: DIGIT_TIMEOUT_MS, save: displayPath(saveFile) }),
    routes: { "/digit": (b) => session.submit(b), "/save": (b) => session.save(b) },
    hello: () => session.hello(),
  });
  return { session, server, saveFile };
}

/** Once the board runs: the session follows the program and the panel, and the page's address is said. */
export function showDrawing(d: Drawing, vm: Managed, panel: Managed, out: Pick<SimReporter, "say" | "event">): void {
  vm.onLine((line) => d.session.programLine(line));
  panel.onLine((line) => d.session.panelLine(line));
  out.event({ draw: { url: d.server.url, port: d.server.port, save: d.saveFile } });
  out.say("");
  out.say(`  drawing page: ${d.server.url}`);
  out.say(`  (open it in a browser on this machine; saves go to ${displayPath(d.saveFile)}; Ctrl-C stops everything)`);
  out.say("");
}

/** The run is over: the page says so, and the server closes. */
export async function closeDrawing(d: Drawing): Promise<void> {
  d.session.setStatus({ text: "bnn sim stopped", ready: false, stopped: true });
  await d.server.close();
}
