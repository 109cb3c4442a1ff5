/**
 * The scratch folder of one simulator run (the VM's flash goes there): under the system's
 * temporary folder, named after the PID of the bnn process that made it, removed by that process
 * when the run ends. Folders of runs that were killed before they could remove theirs (SIGKILL)
 * are removed by the next run: a folder whose owner PID no longer runs.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUN_DIR_PREFIX = "bnn-sim-";

function removeOrphanRunDirs(parent: string): void {
  for (const name of readdirSync(parent)) {
    const m = new RegExp(`^${RUN_DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}

/**
 * A fresh run folder of this process in `parent` (default: the system's temporary folder), after
 * removing the orphans of killed runs there.
 */
export function makeRunDir(parent = tmpdir()): string {
  mkdirSync(parent, { recursive: true });
  removeOrphanRunDirs(parent);
  return mkdtempSync(join(parent, `${RUN_DIR_PREFIX}${process.pid}-`));
}
