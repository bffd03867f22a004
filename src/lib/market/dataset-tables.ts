import {mkdirSync, rmSync} from "node:fs";
import {basename, dirname, join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import type {TableSink, WrittenTable} from "../core/table-sink.js";
import {clipObservation} from "./fidelity/clip.js";
import {observationFromCapture, observationFromReplay} from "./fidelity/observations.js";
import {fidelityReport, UnusableSideError, type MarketObservation} from "./fidelity/report.js";
import {writeFidelityTables} from "./fidelity/tables.js";
import type {UnitsSetting} from "../catalog/units.js";
import type {HistoryReplayOptions} from "./history-replay.js";
import {replayHistoryUnits, type HistoryFile} from "./history-units.js";
import {writeRecordingTables} from "./recording-events.js";
import {FIDELITY_STATUS_COLUMNS} from "./tables.js";

type FidelityState = "compared" | "no_overlap" | "too_short" | "no_samples" | "no_history" | "unusable_capture";

/**
 * One market dataset's tables, by the catalog's derivation and `lab run market --dataset` alike.
 * History (trades, book, deltas) is replayed into market_assessment, market_events and
 * book_samples; a dataset with captures or recordings but no history has their book rebuilt by
 * Binance's rules into market_events and book_samples instead. With both, the history's
 * reconstruction is fidelity-tested against the captures as the golden side over the span both
 * cover (`lab fidelity`'s report, as fidelity_metrics/values/acf/levels). Every dataset with a
 * capture gets one fidelity_status row saying whether that test ran and, if not, why.
 */
export async function marketDatasetTables({
  history,
  recordings,
  options,
  scratchDir,
  sink,
  key,
  symbolFromData = false,
  units,
  log = () => {}
}: {
  history: HistoryFile[];
  /** Capture and recording files (paths). */
  recordings: string[];
  options: HistoryReplayOptions;
  scratchDir: string;
  sink: TableSink & {tables: WrittenTable[]};
  key?: Buffer;
  /** A capture alone is labelled with the symbol its messages carry (dataset.json names none). */
  symbolFromData?: boolean;
  /** Where a history's (symbol, day) units run: the catalog's queue, or here (history-units.ts). */
  units?: UnitsSetting;
  log?: (line: string) => void;
}): Promise<void> {
  const hasHistory = history.length > 0;
  if (hasHistory) {
    const workDir = `${scratchDir}.units`;
    try {
      await replayHistoryUnits({files: history, options, ...(units ? {units} : {}), workDir, sink, log});
    } finally {
      rmSync(workDir, {recursive: true, force: true});
    }
  }
  if (!recordings.length) return;
  const status = (state: FidelityState, note: string, span: Partial<Record<string, number | null>> = {}) =>
    sink.write("fidelity_status", {
      columns: FIDELITY_STATUS_COLUMNS,
      rows: [{state, note, golden_files: recordings.map((f) => basename(f)).join(", "), ...span}]
    });
  const work = `${scratchDir}.recording`;
  rmSync(work, {recursive: true, force: true});
  mkdirSync(work, {recursive: true});
  try {
    if (!hasHistory) {
      const r = await writeRecordingTables({
        files: recordings,
        symbol: symbolFromData ? undefined : options.symbol,
        sampleMs: options.sampleMs,
        key,
        scratchDir: work,
        sink,
        log
      });
      const t = r.observation.samples.tNs;
      await status(
        "no_history",
        "This dataset holds a capture and no history: its book is rebuilt from the capture by Binance's rules, and there is no reconstruction to test against it.",
        {golden_from_ns: t[0] ?? null, golden_to_ns: t[t.length - 1] ?? null}
      );
      return;
    }
    await buildTimeFidelity({recordings, key, sink, status, log});
  } finally {
    rmSync(work, {recursive: true, force: true});
  }
}

/** The history's reconstruction (already in the sink) against the captures over the span both cover. */
async function buildTimeFidelity({
  recordings,
  key,
  sink,
  status,
  log
}: {
  recordings: string[];
  key?: Buffer;
  sink: TableSink & {tables: WrittenTable[]};
  status: (state: FidelityState, note: string, span?: Partial<Record<string, number | null>>) => Promise<number>;
  log: (line: string) => void;
}): Promise<void> {
  const samples = sink.tables.find((t) => t.name === "book_samples");
  const events = sink.tables.find((t) => t.name === "market_events");
  if (!samples || !events) {
    await status(
      "no_samples",
      "The history's replay wrote no 100 ms book samples (sample_ms is 0 in dataset.json), so there is nothing to compare with the capture: remove sample_ms or set it to 100."
    );
    return;
  }
  let golden: MarketObservation;
  try {
    golden = observationFromCapture({files: recordings, key});
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    await status("unusable_capture", `The capture cannot be replayed: ${error.reason}.`);
    return;
  }
  const duck = await openDuckDB();
  let reconstructed: MarketObservation;
  try {
    const eventFiles = sink.tables.filter((t) => t.name === "market_events").map((t) => t.path);
    reconstructed = await observationFromReplay({duck, files: {events: eventFiles, samples: samples.path}});
  } finally {
    duck.close();
  }
  const span = (o: MarketObservation) => {
    const t = o.samples.tNs;
    return t.length ? {from: t[0]!, to: t[t.length - 1]!} : {from: NaN, to: NaN};
  };
  const h = span(reconstructed),
    g = span(golden);
  const from = Math.max(h.from, g.from),
    to = Math.min(h.to, g.to);
  const spans = {history_from_ns: h.from, history_to_ns: h.to, golden_from_ns: g.from, golden_to_ns: g.to};
  const iso = (ns: number) => (Number.isFinite(ns) ? new Date(ns / 1e6).toISOString() : "—");
  if (!(to > from)) {
    await status(
      "no_overlap",
      `The history (${iso(h.from)} to ${iso(h.to)}) and the capture (${iso(g.from)} to ${iso(g.to)}) cover no common time, so the history could not be tested against the capture.`,
      spans
    );
    log("fidelity: the history and the capture do not overlap; no report");
    return;
  }
  const r = clipObservation({observation: reconstructed, fromNs: from, toNs: to});
  const gc = clipObservation({observation: golden, fromNs: from, toNs: to});
  const overlap = {...spans, overlap_seconds: (to - from) / 1e9};
  try {
    const report = fidelityReport({reconstructed: r, golden: gc});
    await writeFidelityTables({report, reconstructed: r, golden: gc, sink});
    await status(
      "compared",
      `The history's reconstruction was tested against the capture over the ${((to - from) / 1e9).toFixed(1)} s both cover (${iso(from)} to ${iso(to)}): ${report.verdict}, score ${report.score.toFixed(4)}.`,
      overlap
    );
    log(
      `fidelity: ${report.verdict} (score ${report.score.toFixed(4)}) over ${((to - from) / 1e9).toFixed(1)} s of overlap`
    );
  } catch (error) {
    if (!(error instanceof UnusableSideError)) throw error;
    await status(
      "too_short",
      `The history and the capture overlap for too short a time to compare: ${error.reason}.`,
      overlap
    );
  }
}
