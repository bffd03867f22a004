import {closeSync, mkdirSync, openSync, renameSync, writeSync} from "node:fs";
import {join} from "node:path";
import type {MarketConfig} from "../config.js";
import {BinanceStreamer} from "./binance-streamer.js";
import type {MarketSink} from "./simulator.js";

/** Where a simulated run's Binance-format live feed was written. */
export interface BinanceFeedFiles {
  /** Combined-stream messages, one JSON object a line: `{stream, data}`, in event-time order. */
  stream: string;
  /** REST depth snapshots, one a line: `{E, lastUpdateId, bids, asks}` (E: when it was taken, ms). */
  snapshots: string;
}

/**
 * A MarketSink that writes the exchange's live feed for a simulated run to files: the
 * combined-stream messages as JSON Lines and REST depth snapshots every `snapshotEverySeconds`.
 * This is the "golden" feed a capture would record.
 */
export function createBinanceFeedWriter({
  outDir,
  config,
  startMs = Date.UTC(2024, 2, 1),
  snapshotEverySeconds = 10,
  snapshotLevels = 1000
}: {
  outDir: string;
  config: MarketConfig;
  startMs?: number;
  snapshotEverySeconds?: number;
  snapshotLevels?: number;
}) {
  mkdirSync(outDir, {recursive: true});
  const files: BinanceFeedFiles = {stream: join(outDir, "stream.jsonl"), snapshots: join(outDir, "snapshots.jsonl")};
  const streamFd = openSync(`${files.stream}.tmp`, "w");
  const snapFd = openSync(`${files.snapshots}.tmp`, "w");
  let buffer = "";
  const streamer = new BinanceStreamer({
    config,
    startMs,
    emit(stream, data) {
      buffer += JSON.stringify({stream, data}) + "\n";
      if (buffer.length > 1 << 16) (writeSync(streamFd, buffer), (buffer = ""));
    }
  });
  let nextSnapshot = 0;
  const sink: MarketSink = {
    ...streamer.sink,
    change(t, u, side, tick, lots) {
      streamer.sink.change(t, u, side, tick, lots);
      // The simulator applied this change before telling us: a snapshot now includes it.
      if (t >= nextSnapshot && streamer.book) {
        writeSync(snapFd, JSON.stringify({E: startMs + Math.floor(t / 1e6), ...streamer.depth(snapshotLevels)}) + "\n");
        nextSnapshot = t + snapshotEverySeconds * 1e9;
      }
    }
  };
  return {
    sink,
    files,
    finish(): BinanceFeedFiles {
      streamer.finish();
      if (buffer) writeSync(streamFd, buffer);
      closeSync(streamFd);
      closeSync(snapFd);
      renameSync(`${files.stream}.tmp`, files.stream);
      renameSync(`${files.snapshots}.tmp`, files.snapshots);
      return files;
    }
  };
}
