import {mkdirSync, rmSync} from "node:fs";
import {availableParallelism, tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import type {MeterConfig} from "./config.js";
import {readCheckpoint} from "./land.js";
import {buildBatch, placeOutput} from "./promote-batch.js";
import {
  commitWatermark,
  partsCovering,
  pendingManifest,
  readWatermark,
  removeStaleTemps,
  writeManifest,
  type BatchManifest
} from "./promote-state.js";

/**
 * The steps of a batch, in order: its manifest is durable (`planned`), its first output is in
 * place (`mid-outputs`), all are (`outputs-placed`); the watermark commit follows.
 */
export type PromoteStep = "planned" | "mid-outputs" | "outputs-placed";

export interface PromotedBatch {
  batch: number;
  from: number;
  to: number;
  parts: number;
  /** A batch planned before a restart and redone from its manifest. */
  redone: boolean;
  /** More is committed in bronze than this batch took (a capped or redone batch): promote again at once. */
  behind: boolean;
  silver: number;
  issues: number;
  goldHours: number;
  goldDays: string[];
  tookMs: number;
  committedAt: number;
  /** Silver lag of the batch's readings: commit time minus the feed's send time (ms), with counts. */
  lags: {ms: number; n: number}[];
}

export interface PromoterOptions {
  /** The lander's directory: bronze/ and _checkpoint.json in, silver/, gold/ and _promote/ out. */
  outDir: string;
  config?: MeterConfig;
  /** Gold hours and days are local wall-clock (IST by default, as the batch medallion). */
  utcOffsetMinutes?: number;
  /** The most feed offsets one batch takes, so catching up after a long stop goes in bounded steps. */
  maxBatchReadings?: number;
  /** Awaited at each step of a batch (tests stall here to kill the process at that point). */
  onStep?: (step: PromoteStep, batch: number) => Promise<void> | void;
  now?: () => number;
}

export interface Promoter {
  /**
   * Promotes one batch: the batch a killed run planned but did not commit, if any (redone from
   * its manifest), else every reading the lander committed since the watermark. Undefined when
   * there is nothing new.
   */
  promoteOnce(): Promise<PromotedBatch | undefined>;
  close(): void;
}

/**
 * The streaming medallion's state machine, one batch at a time: PLAN (manifest: offsets and
 * bronze parts, durable) → BUILD (outputs at temporary paths) → PLACE (renames) → COMMIT (the
 * watermark, last). A kill anywhere before COMMIT leaves a manifest newer than the watermark,
 * and the next run redoes that batch; outputs are pure functions of the manifest and the
 * committed silver before it, so the redo rewrites the same files.
 */
export async function openPromoter({
  outDir,
  config,
  utcOffsetMinutes,
  maxBatchReadings = 2_000_000,
  onStep = () => {},
  now = Date.now
}: PromoterOptions): Promise<Promoter> {
  removeStaleTemps(join(outDir, "silver"));
  removeStaleTemps(join(outDir, "gold"));
  const scratch = join(tmpdir(), `lab-promote-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, {recursive: true});
  // One core fewer than the machine has: the lander shares this process, and its latency must not
  // wait for a batch.
  const duck = await openDuckDB({
    memoryLimit: "1GB",
    tempDirectory: scratch,
    threads: Math.max(1, availableParallelism() - 1)
  });
  return {
    async promoteOnce() {
      const started = now();
      const watermark = readWatermark(outDir);
      let manifest: BatchManifest | undefined = pendingManifest(outDir, watermark);
      const redone = manifest !== undefined;
      if (manifest && manifest.from !== watermark.offset)
        throw new LabError({
          file: join(outDir, "_promote"),
          reason: `batch ${manifest.batch} starts at offset ${manifest.from} but the watermark is at ${watermark.offset}`,
          hint: "the promotion state was edited by hand: restore it, or start a fresh --out DIR"
        });
      if (!manifest) {
        const committed = readCheckpoint(outDir);
        if (committed <= watermark.offset) return undefined;
        const to = Math.min(committed, watermark.offset + maxBatchReadings);
        manifest = {
          batch: watermark.batch + 1,
          from: watermark.offset,
          to,
          parts: partsCovering({outDir, from: watermark.offset, to}),
          planned_at: new Date(now()).toISOString()
        };
        writeManifest(outDir, manifest);
      }
      await onStep("planned", manifest.batch);
      const built = await buildBatch({duck, outDir, manifest, config, utcOffsetMinutes});
      for (const [i, output] of built.outputs.entries()) {
        placeOutput(output);
        if (i === 0) await onStep("mid-outputs", manifest.batch);
      }
      await onStep("outputs-placed", manifest.batch);
      const committedAt = now();
      commitWatermark(outDir, {
        batch: manifest.batch,
        offset: manifest.to,
        committed_at: new Date(committedAt).toISOString()
      });
      return {
        batch: manifest.batch,
        from: manifest.from,
        to: manifest.to,
        parts: manifest.parts.length,
        redone,
        behind: readCheckpoint(outDir) > manifest.to && (redone || manifest.to - manifest.from >= maxBatchReadings),
        silver: built.silver,
        issues: built.issues,
        goldHours: built.goldHours,
        goldDays: built.goldDays,
        tookMs: committedAt - started,
        committedAt,
        lags: built.generated.map((g) => ({ms: committedAt - g.ms, n: g.n}))
      };
    },
    close() {
      duck.close();
      rmSync(scratch, {recursive: true, force: true});
    }
  };
}

/** Silver lag figures over a run: a histogram at 10 ms, so memory stays flat however long it runs. */
export class LagHistogram {
  private readonly counts = new Map<number, number>();
  total = 0;

  add(lags: {ms: number; n: number}[]): void {
    for (const {ms, n} of lags) {
      const bucket = Math.round(ms / 10);
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
      this.total += n;
    }
  }

  /** p-th percentile (0–100) in seconds; NaN when empty. */
  percentileSeconds(p: number): number {
    if (!this.total) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return bucket / 100;
    }
    return Number.NaN;
  }
}

export interface PromotionSummary {
  batches: number;
  silver: number;
  issues: number;
  lag: LagHistogram;
}

/**
 * Runs the promoter beside a lander: a batch at once (finishing any batch a killed run left),
 * then one every `intervalMs` (start to start), and a last one when `until` settles, so what the
 * lander committed before stopping is promoted too. Rejects on the first failed batch.
 */
export async function promoteEvery({
  promoter,
  intervalMs,
  until,
  log = () => {},
  onBatch
}: {
  promoter: Promoter;
  intervalMs: number;
  until: Promise<unknown>;
  log?: (line: string) => void;
  onBatch?: (batch: PromotedBatch) => void;
}): Promise<PromotionSummary> {
  const summary: PromotionSummary = {batches: 0, silver: 0, issues: 0, lag: new LagHistogram()};
  let stopping = false;
  let wake = () => {};
  const stop = () => ((stopping = true), wake());
  until.then(stop, stop);
  /** Promotes one batch; true when bronze holds more than it took and another should follow at once. */
  const once = async (): Promise<boolean> => {
    const batch = await promoter.promoteOnce();
    if (!batch) return false;
    summary.batches++;
    summary.silver += batch.silver;
    summary.issues += batch.issues;
    summary.lag.add(batch.lags);
    const batchLag = new LagHistogram();
    batchLag.add(batch.lags);
    log(
      `promote: batch ${batch.batch}${batch.redone ? " (redone after a restart)" : ""}: offsets ${batch.from}–${batch.to} from ${batch.parts} part(s) → silver +${batch.silver.toLocaleString("en-US")}, issues +${batch.issues}, gold ${batch.goldHours} hour(s) in ${batch.goldDays.length} day(s); ${(batch.tookMs / 1000).toFixed(1)} s; silver lag p99 ${batchLag.percentileSeconds(99).toFixed(1)} s`
    );
    onBatch?.(batch);
    return batch.behind;
  };
  while (!stopping) {
    const started = Date.now();
    if (await once()) continue;
    const wait = Math.max(0, started + intervalMs - Date.now());
    if (!stopping)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => (clearTimeout(timer), resolve());
      });
  }
  while (await once());
  return summary;
}
