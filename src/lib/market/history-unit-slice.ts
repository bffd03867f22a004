/**
 * One (symbol, day) of a long history replayed on its own, giving the very events the replay of
 * the whole history gives for that day (full_event_replay). The history is cut at snapshots, in
 * the replay's own order: the unit of day D emits every event from the first snapshot of D's book
 * files (by sequence number) up to, not including, the first snapshot of day D+1 — so the events
 * of D's first moments, before its first snapshot, belong to day D−1's unit, and none is lost or
 * doubled at midnight, even where jittered timestamps put a delta in the other day's file.
 *
 * The book at the cut comes from a warm-up: the unit starts at the last snapshot before the cut
 * (day D−1's last), replays up to the cut without keeping those events, and keeps everything
 * from the cut on. Inputs are sliced to what that needs (deltas by update id, snapshots by
 * sequence number, trades by origin time against the book events around each cut, as the merge
 * places them), from the files of days D−1, D and D+1.
 */
import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {copyQueryToParquet} from "../core/parquet-write.js";
import {quoteList, quoteString} from "../core/sql.js";
import {registerInputs, sourceSql, type ColumnMapping, type MarketInputs} from "./history/inputs.js";
import {reconstructMarket} from "./replay/reconstruct.js";

export type KindFiles = Record<keyof MarketInputs, string[]>;

/** What a day's replay writes: its events (with the symbol) and samples as Parquet, and their counts. */
export interface DaySliceResult {
  eventsPath: string;
  samplesPath?: string;
  events: number;
  samples: number;
  tickSize: number;
  lotSize: number;
  /** The sequence numbers it was cut at (undefined: the history's start or end). */
  from?: number;
  to?: number;
  /** Events replayed only to build the book at the cut (not kept). */
  warmup: number;
}

/** Replays day `cur` of one symbol (full_event_replay), with its neighbours' files for the cuts. */
export async function replayDaySlice({
  symbol,
  prev,
  cur,
  next,
  tickSize,
  lotSize,
  sampleMs,
  columns,
  outDir,
  log
}: {
  /** Written first in every event row, as the whole history's replay labels them. */
  symbol: string;
  prev?: KindFiles;
  cur: KindFiles;
  next?: KindFiles;
  tickSize?: number;
  lotSize?: number;
  sampleMs: number;
  columns?: ColumnMapping;
  outDir: string;
  log: (line: string) => void;
}): Promise<DaySliceResult> {
  const work = join(outDir, "slice");
  mkdirSync(work, {recursive: true});
  const duck = await openDuckDB({path: join(work, "slice.duckdb"), tempDirectory: work, memoryLimit: "1GB"});
  try {
    const days = [prev, cur, next];
    for (const kind of ["book", "deltas", "trades"] as const)
      await unionView({duck, kind, files: days.map((d) => d?.[kind] ?? []), columns});
    const one = async (sql: string) =>
      (await duck.one<{v: number | null}>(`SELECT (${sql})::DOUBLE AS v`)).v ?? undefined;
    const start = prev ? await one("SELECT min(sequence_number) FROM all_book WHERE _d = 1") : undefined;
    const warm =
      start === undefined
        ? undefined
        : await one(`SELECT max(sequence_number) FROM all_book WHERE _d = 0 AND sequence_number < ${start}`);
    const end = next ? await one("SELECT min(sequence_number) FROM all_book WHERE _d = 2") : undefined;
    const low = warm ?? start;
    const where = {
      book: [low === undefined ? "" : `sequence_number >= ${low}`, end === undefined ? "" : `sequence_number < ${end}`],
      deltas: [low === undefined ? "" : `update_id > ${low}`, end === undefined ? "" : `update_id <= ${end}`],
      trades: [
        low === undefined ? "" : `origin_time >= ${await placedAfter(duck, low)}`,
        end === undefined ? "" : `origin_time < ${await placedAfter(duck, end)}`
      ]
    };
    const inputs: MarketInputs = {};
    for (const kind of ["book", "deltas", "trades"] as const) {
      const filter = where[kind].filter(Boolean).join(" AND ") || "true";
      const path = join(work, `${kind}.parquet`);
      const rows = await copyQueryToParquet({
        duck,
        path,
        // In the joined files' order (day, file, row), as the whole history's replay reads them.
        sql: `SELECT * EXCLUDE (_d, _f, _r) FROM all_${kind} WHERE ${filter} ORDER BY _d, _f, _r`
      });
      if (rows || kind !== "deltas") inputs[kind] = path;
    }
    const replay = await reconstructMarket({
      inputs,
      strategy: "full_event_replay",
      outDir: join(work, "replay"),
      tickSize,
      lotSize,
      sampleEveryMs: sampleMs,
      symbol,
      dataset: "",
      log
    });
    // The replay's events in order across its day files (file_row_number counts within a file).
    await duck.run(
      `CREATE OR REPLACE TEMP VIEW unit_events AS SELECT * EXCLUDE (filename, file_row_number, dataset), row_number() OVER (ORDER BY filename, file_row_number) - 1 AS k FROM read_parquet(${quoteList([replay.path])}, filename = true, file_row_number = true, hive_partitioning = false)`
    );
    // The warm-up's events: every row before the first snapshot at or after the cut.
    const keepFrom =
      start === undefined
        ? 0
        : ((
            await duck.one<{k: number | null}>(
              `SELECT min(k)::BIGINT AS k FROM unit_events WHERE event_type = 'BOOK_SNAPSHOT' AND update_id >= ${start}`
            )
          ).k ?? replay.events);
    const eventsPath = join(outDir, "events.parquet");
    const kept = await copyQueryToParquet({
      duck,
      path: eventsPath,
      sql: `SELECT * EXCLUDE (k) FROM unit_events WHERE k >= ${keepFrom} ORDER BY k`
    });
    let samplesPath: string | undefined;
    let samples = 0;
    if (replay.samplesPath) {
      // Samples taken during the warm-up (at or before its last event) are the previous day's.
      const warmEnd = keepFrom ? `(SELECT max(event_ts_ns) FROM unit_events WHERE k < ${keepFrom})` : undefined;
      samplesPath = join(outDir, "samples.parquet");
      samples = await copyQueryToParquet({
        duck,
        path: samplesPath,
        sql: `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${quoteString(replay.samplesPath)}, file_row_number = true)${warmEnd ? ` WHERE ts_ns > ${warmEnd}` : ""} ORDER BY file_row_number`
      });
    }
    return {
      eventsPath,
      ...(samplesPath ? {samplesPath} : {}),
      events: kept,
      samples,
      tickSize: replay.tickSize,
      lotSize: replay.lotSize,
      ...(start === undefined ? {} : {from: start}),
      ...(end === undefined ? {} : {to: end}),
      warmup: Number(keepFrom)
    };
  } finally {
    duck.close();
    rmSync(work, {recursive: true, force: true});
  }
}

/**
 * `all_<kind>`: the files of the three days as one view under the lab's column names, with the
 * day (0 previous, 1 this, 2 next), the file within the day and the row within the file.
 */
async function unionView({
  duck,
  kind,
  files,
  columns
}: {
  duck: Duck;
  kind: keyof MarketInputs;
  files: string[][];
  columns?: ColumnMapping;
}): Promise<void> {
  const parts: string[] = [];
  for (const [d, paths] of files.entries())
    for (const [f, path] of paths.entries()) {
      const select = (await registerInputs({duck, inputs: {[kind]: path}, mapping: columns}))[kind];
      parts.push(`SELECT *, ${d} AS _d, ${f} AS _f, file_row_number AS _r FROM ${sourceSql(path, select)}`);
    }
  await duck.run(
    `CREATE OR REPLACE VIEW all_${kind} AS ${
      parts.length
        ? `SELECT * EXCLUDE (file_row_number) FROM (${parts.join(" UNION ALL BY NAME ")})`
        : `SELECT NULL::TIMESTAMP_NS AS origin_time, NULL::DOUBLE AS sequence_number, NULL::DOUBLE AS update_id, 0 AS _d, 0 AS _f, 0 AS _r LIMIT 0`
    }`
  );
}

/**
 * The origin time from which trades come after the first snapshot with sequence number `seq` in
 * the full replay's merge: a trade goes out just before the first book event (deltas by update id,
 * snapshots after the deltas they include) whose origin time is later than its own, so it comes
 * after that snapshot exactly when its origin time is at least the latest of the book events up
 * to and including the snapshot.
 */
async function placedAfter(duck: Duck, seq: number): Promise<string> {
  const {t} = await duck.one<{t: string | null}>(
    `SELECT greatest(
       (SELECT max(origin_time) FROM all_deltas WHERE update_id <= ${seq}),
       (SELECT max(origin_time) FROM all_book WHERE sequence_number < ${seq}),
       (SELECT origin_time FROM all_book WHERE sequence_number = ${seq} ORDER BY _d, _f, _r LIMIT 1))::VARCHAR AS t`
  );
  return t === null ? "'-infinity'::TIMESTAMP_NS" : `${quoteString(t)}::TIMESTAMP_NS`;
}
