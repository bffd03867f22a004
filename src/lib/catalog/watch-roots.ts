/**
 * Watch mode for the ingest coordinator: file-system events (debounced) plus a periodic rescan
 * run another pass, until the signal aborts.
 */
import {mkdirSync, watch, type FSWatcher} from "node:fs";
import {resolve} from "node:path";
import {interruptibleWait} from "../core/wait.js";
import type {LabConfig} from "./config.js";
import {STALE_FILE_REASON} from "./content-check.js";
import type {IngestSummary} from "./ingest-summary.js";
import type {LabPaths} from "./paths.js";

export async function watchSourceRoots({
  config,
  paths,
  log,
  signal,
  onPass,
  pass
}: {
  config: LabConfig;
  paths: LabPaths;
  log: (line: string) => void;
  signal?: AbortSignal;
  onPass?: (s: IngestSummary) => void;
  /** One scan-and-run pass of the coordinator. */
  pass: () => Promise<IngestSummary>;
}): Promise<IngestSummary> {
  let last: IngestSummary | undefined;
  // Start dirty: files that landed between the first pass and the watchers being set up count.
  let dirty = true;
  let wake: (() => void) | undefined;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const watchers: FSWatcher[] = [];
  for (const root of config.sourceRoots) {
    const abs = resolve(paths.projectDir, root);
    mkdirSync(abs, {recursive: true});
    watchers.push(watch(abs, {recursive: true}, poke));
  }
  const rescan = setInterval(poke, config.watchRescanMs);
  log(`watching ${config.sourceRoots.join(", ")} for new files (Ctrl-C to stop)`);
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        const wait = interruptibleWait(signal);
        wake = wait.wake;
        await wait.done;
        wake = undefined;
        continue;
      }
      dirty = false;
      await new Promise((r) => setTimeout(r, 100)); // let a burst of events settle
      last = await pass();
      onPass?.(last);
      if (last.scout.unstable.length) setTimeout(poke, config.stableWaitMs);
      // A job that found its file changed since the scan: scan again at once for the new version.
      if (last.failures.some((f) => f.error.includes(STALE_FILE_REASON))) dirty = true;
    }
  } finally {
    clearInterval(rescan);
    for (const w of watchers) w.close();
  }
  return last!;
}
