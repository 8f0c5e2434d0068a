import { setFlagsFromString } from 'node:v8';

/**
 * V8's heap growing factor for a process that serves blobs: after each full GC the old generation
 * may grow to 3x what survived before the next one (V8 picks 1.1x–4x by itself).
 */
export const SERVER_HEAP_GROWING_PERCENT = 200;

/**
 * Tunes V8 for a process that relays blob bodies; call it once, when a server process starts
 * (`glci registry serve` and the mock do). Not done by `createRegistry`: it changes the whole
 * process, which is the embedder's to decide.
 *
 * Why: every request-body piece is a fresh Buffer, gigabytes of them per push. With V8's own
 * growing factor about two in three Node processes (15 of 22 measured) settled into back-to-back
 * full GCs while receiving a blob: 62–67 per GiB, each restarting marking at once ("allocation
 * limit", 17 MB live of a 40–44 MB limit), 2.0–2.7 s of CPU per GiB pushed instead of 0.7–1.1 s. A
 * fixed 3x factor kept 12 of 12 pushes (4 processes) in the fast state; 2x did not (1.4–1.7 s).
 * V8 reads this flag at every full GC, so it takes effect when set at run time, unlike
 * `--initial-old-space-size`, which would have to be on node's command line (a `#!/usr/bin/env -S`
 * shebang, which BusyBox's env rejects).
 */
export function configureServerHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`);
}
