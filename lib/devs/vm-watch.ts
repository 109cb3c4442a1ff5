/**
 * Watches a program running in the DeviceScript VM (`devs run`, lib/devs/cli.ts) until it
 * says it is done, and turns every way it can fail into one line: an uncaught exception or a
 * panic (the VM prints "Unhandled exception" / "Exception: <type>", " message: <text>",
 * " at <function> (<file>:<line>:<col>)", then "PANIC <code>"), the VM exiting, or no output
 * for `idleMs` (a program that prints as it goes gets as long as it needs on a busy machine, one
 * that hangs is stopped). Used by the stage probe's runner and by the bytecode backend of the
 * verification matrix.
 */
import { ExitCode, UserError } from "../errors.ts";
import type { Managed } from "../processes.ts";

const VM_LINE = /^WASM>\s?/;

export interface VmWatch {
  /** Undefined once `onLine` said done; else why the program failed. */
  outcome: Promise<UserError | undefined>;
  /** Ends the watch now with `error` (an interrupt). */
  cancel(error: UserError): void;
}

/**
 * `onLine` gets every line of the VM's output (the "WASM> " prefix removed) and returns true when
 * the program is done; a UserError it throws ends the watch with that error. `doneMarker` names
 * the end in messages (e.g. "@probe done").
 */
export function watchVm(vm: Managed, program: string, doneMarker: string, idleMs: number, onLine: (text: string) => boolean): VmWatch {
  let cancel: (error: UserError) => void = () => {};
  const outcome = new Promise<UserError | undefined>((resolve) => {
    let ended = false;
    const last = () => vm.recent().slice(-3).join(" | ") || "nothing";
    const fail = (message: string) => end(new UserError(message, ExitCode.Mismatch));
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(`${program}: no output for ${idleMs / 1000} s and no ${doneMarker}; the VM's last output: ${last()}`), idleMs);
    };
    arm();
    const end = (error?: UserError) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      resolve(error);
    };
    cancel = end;
    let exception: string[] | undefined;
    vm.onLine((line) => {
      if (ended) return;
      arm();
      const text = line.replace(VM_LINE, "").trim();
      if (text === "Unhandled exception" || text.startsWith("Exception: ")) exception ??= [];
      if (exception && /^(Exception|message): /.test(text)) exception.push(text.replace(/^\w+: /, ""));
      if (exception && text.startsWith("at ") && exception.length < 3) exception.push(text);
      if (/^PANIC\b/.test(text) || (exception && text.startsWith("at "))) {
        return fail(`${program} failed in the VM: ${exception?.length ? exception.join(": ").replace(/: at /, " at ") : text}`);
      }
      try {
        if (onLine(text)) end();
      } catch (e) {
        end(e as UserError);
      }
    });
    void vm.exited.then((code) => fail(`${program}: the DeviceScript VM exited (code ${code}) before ${doneMarker}; its last output: ${last()}`));
  });
  return { outcome, cancel: (e) => cancel(e) };
}
