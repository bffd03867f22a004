/**
 * Captures and recordings as a dataset: files dropped into `datasets/market/<dataset>/` that are
 * `lab capture`'s own JSON Lines (`{"local_ns": …, "stream": …, "data": …}`, snapshots, gaps) or
 * `<local ns> <json>` recordings of Binance's streams (plain or gzipped) are recognised by their
 * first line, and listed per file in `market_recording_files`; the dataset's derivation
 * (history-dataset.ts) rebuilds their book by Binance's rules, or tests its history against them.
 */
import {basename} from "node:path";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {LabError} from "../core/errors.js";
import {recordOfLine} from "./fidelity/observations.js";
import {captureKeyFromEnv, readCaptureLines} from "./live/capture-file.js";
import {MARKET_RECORDING_FILES_COLUMNS} from "./tables.js";

export type RecordingKind = "capture" | "recording";

/** Whether a file's name makes it a candidate capture or recording (its first line decides which). */
export function isRecordingName(relPath: string): boolean {
  return /\.(jsonl|ndjson|txt|log)(\.gz)?$/.test(basename(relPath).toLowerCase());
}

/** A capture (a JSON object with `local_ns`) or a recording (`<digits> {…}`) by its first line, else undefined. */
export function recordingKindOf(firstLine: string): RecordingKind | undefined {
  const line = firstLine.trim();
  if (/^\d+\s+\{/.test(line)) return "recording";
  if (/^\{.*"local_ns"\s*:/.test(line)) return "capture";
  return undefined;
}

/** What one capture or recording file holds: its stream messages' exchange-time span, counts and symbol. */
export interface RecordingSummary {
  kind: RecordingKind;
  firstNs: bigint | null;
  lastNs: bigint | null;
  messages: number;
  snapshots: number;
  symbol: string | null;
}

/** Reads a capture or recording file through; a line that is not one names the file and line. */
export function summarizeRecording({path, relPath, key}: {path: string; relPath: string; key?: Buffer}) {
  const lines = readCaptureLines(path, key);
  const kind = recordingKindOf(lines[0] ?? "");
  if (!kind)
    throw new LabError({
      file: relPath,
      line: 1,
      reason: lines.length
        ? "neither a lab capture line (a JSON object with local_ns) nor a recording line (<local ns> <json>)"
        : "the file is empty",
      hint: "a market dataset's .jsonl/.txt/.log files (gzipped or not) must be `lab capture` files or `<local ns> <json>` recordings"
    });
  const summary: RecordingSummary = {kind, firstNs: null, lastNs: null, messages: 0, snapshots: 0, symbol: null};
  const symbols = new Set<string>();
  lines.forEach((line, i) => {
    let record: ReturnType<typeof recordOfLine>;
    try {
      record = recordOfLine(line);
    } catch (error) {
      throw new LabError({
        file: relPath,
        line: i + 1,
        reason: `not a ${kind} line (${(error as Error).message})`,
        hint: "the file was cut short or altered"
      });
    }
    if (record.type === "snapshot") summary.snapshots++;
    const data = record.data as {T?: number; E?: number; s?: string} | undefined;
    if (!record.stream || !data) return;
    summary.messages++;
    const ms = data.T ?? data.E;
    if (typeof ms === "number") {
      const ns = BigInt(ms) * 1_000_000n;
      if (summary.firstNs === null || ns < summary.firstNs) summary.firstNs = ns;
      if (summary.lastNs === null || ns > summary.lastNs) summary.lastNs = ns;
    }
    const symbol = data.s ?? record.stream.split("@")[0];
    if (symbol) symbols.add(symbol.toUpperCase());
  });
  summary.symbol = [...symbols].sort().join(",") || null;
  return summary;
}

/**
 * One capture or recording file: read through (a bad line fails the job naming file and line)
 * and listed in `market_recording_files` for its dataset's derivation.
 */
export const marketRecordingPlugin: Plugin = {
  name: "market-recording",
  tags: ["market:recording"],
  topics: ["market_recording_files"],
  version: 1,
  async execute(ctx, file) {
    const s = summarizeRecording({path: file.path, relPath: file.relPath, key: captureKeyFromEnv()});
    await pluginSink(ctx).write("market_recording_files", {
      columns: MARKET_RECORDING_FILES_COLUMNS,
      rows: [
        {
          kind: s.kind,
          rel_path: file.relPath,
          path: file.path,
          content_hash: file.contentHash,
          first_ns: s.firstNs,
          last_ns: s.lastNs,
          messages: s.messages,
          snapshots: s.snapshots,
          symbol: s.symbol
        }
      ]
    });
  }
};
