import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import type {Checkpoint} from "./types.js";

const pad = (k: number) => String(k).padStart(5, "0");

/** market_events' folder in a replay's output (partitioned: symbol=<S>/day=<D>/part-0.parquet). */
export const EVENTS_FOLDER = "market_events";

/**
 * The write-ahead segments' markers, in `<outDir>/segments`: `seg-NNNNN.done.json` is written
 * (by the writer thread) only once every row of segment NNNNN is on disk, so the last marker is
 * where a killed run can continue from.
 */
export class CheckpointStore {
  readonly dir: string;

  /** A fresh run starts with no segments; a resumed one keeps them. */
  constructor({outDir, resume}: {outDir: string; resume: boolean}) {
    this.dir = join(outDir, "segments");
    if (!resume) rmSync(this.dir, {recursive: true, force: true});
    mkdirSync(this.dir, {recursive: true});
  }

  /** Where segment `k`'s marker goes. */
  markerPath(k: number): string {
    return join(this.dir, `seg-${pad(k)}.done.json`);
  }

  /**
   * The last complete segment's checkpoint, or undefined to start over. Files of a later segment
   * (one without its marker: an interrupted write) are removed.
   */
  resume({outDir, log}: {outDir: string; log: (line: string) => void}): Checkpoint | undefined {
    let checkpoint: Checkpoint | undefined;
    for (let k = 1; existsSync(this.markerPath(k)); k++)
      checkpoint = JSON.parse(readFileSync(this.markerPath(k), "utf-8")) as Checkpoint;
    for (const f of readdirSync(this.dir)) {
      const k = Number(/^seg-(\d+)\./.exec(f)?.[1]);
      if (k > (checkpoint?.segment ?? 0)) rmSync(join(this.dir, f), {force: true});
    }
    // The output being written must still be there to continue it.
    const current = checkpoint?.writer?.current;
    if (
      checkpoint &&
      (!current ||
        (!existsSync(join(outDir, EVENTS_FOLDER, `${current.path}.partial`)) &&
          !existsSync(join(outDir, EVENTS_FOLDER, current.path))))
    )
      checkpoint = undefined;
    if (checkpoint)
      log(`resuming after segment ${checkpoint.segment} (${checkpoint.events.toLocaleString("en-US")} events)`);
    return checkpoint;
  }
}

/** Removes a failed run's unpublished files (its partial outputs and checkpoints). */
export function discardOutputs(outDir: string): void {
  rmSync(join(outDir, EVENTS_FOLDER), {recursive: true, force: true});
  rmSync(join(outDir, "book_samples.parquet.partial"), {force: true});
  rmSync(join(outDir, "segments"), {recursive: true, force: true});
}

/** Thrown by the stopAfterSegments test hook: the run ends as if killed. */
export class StoppedForTest extends Error {
  constructor() {
    super("stopped for a test after the requested segments");
  }
}
