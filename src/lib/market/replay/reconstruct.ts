import {join} from "node:path";
import type {Duck} from "../../core/duckdb.js";
import {LabError, isLabError} from "../../core/errors.js";
import {ParquetWriterThread} from "../../parquet-writer/index.js";
import {ASK, BID, Book} from "../book.js";
import type {MarketInputs} from "../history/inputs.js";
import {BookSampler} from "./book-sampler.js";
import {CheckpointStore, EVENTS_FOLDER, StoppedForTest, discardOutputs} from "./checkpoint-store.js";
import {eventColumns, sampleColumns} from "./event-columns.js";
import {OutBuffer} from "./out-buffer.js";
import {ReorderOverflow} from "./reorder-window.js";
import {checkResume, runRecord, saveRunRecord} from "./run-record.js";
import {openReaders, openScratchDuck, planInputs, strategyInputs, type ReplayReaders} from "./replay-inputs.js";
import {FINISHED, REFILL, createReplayLoop} from "./replay-loop.js";
import {
  emptyCounts,
  type Checkpoint,
  type ReconstructOptions,
  type ReconstructResult,
  type ReplayCounts,
  type ReplayLoop
} from "./types.js";

export {StoppedForTest};
export {EVENT_DELTA, EVENT_SNAPSHOT, EVENT_TRADE, STRATEGIES} from "./types.js";
export type {ReconstructOptions, ReconstructResult, ReplayCounts, ReplayView, Strategy} from "./types.js";

/**
 * Rebuilds the order book from Crypto Lake-style history and writes `market_events`: one row per
 * trade, snapshot and delta with the book state after it. Strategies:
 * - `full_event_replay`: deltas in update-id order (the exchange's own sequence, immune to
 *   origin_time jitter), snapshots placed by their sequence number, trades merged by origin
 *   time. The first snapshot initialises the book; a jump in update ids marks the book gapped
 *   until a snapshot resyncs it; every snapshot measures drift (RMS over its levels) first.
 * - `snapshot_anchored`: snapshots only; between them trades take liquidity from the book.
 * - `origin_time_sort`: one stable merge of all three on (origin_time, id), applied as it comes.
 * Inputs are read in file order through a reorder window, or sorted by DuckDB (which spills to
 * disk beyond `memoryLimit`), and streamed as typed arrays; output goes through write-ahead
 * segments: each is written as Parquet, then a DONE marker holding a checkpoint of the book and
 * the input positions is renamed into place, so `resume` after a kill continues from the last
 * complete segment and produces the same rows in the same order as an uninterrupted run.
 */
export async function reconstructMarket(options: ReconstructOptions): Promise<ReconstructResult> {
  try {
    return await replayOnce(options);
  } catch (error) {
    if (error instanceof ReorderOverflow) {
      // An input further out of order than the window: the same replay over DuckDB's full sort.
      (options.log ?? (() => {}))(`${error.message}; replaying again with the inputs fully sorted first`);
      discardOutputs(options.outDir);
      return replayOnce({...options, reader: "sort", resume: false});
    }
    // Bad input: nothing is published and nothing is left to resume from. A resumed run keeps
    // what it was asked to continue, whatever stopped it (a refused checkpoint above all).
    if (isLabError(error) && !options.resume) discardOutputs(options.outDir);
    throw error;
  }
}

/** One replay with one reader: inputs opened, the book restored, events replayed and written segment by segment. */
// Over 150 lines: the replay's setup in order (record, inputs, book, writers, loop), each step using the values before it.
async function replayOnce(options: ReconstructOptions): Promise<ReconstructResult> {
  const started = performance.now();
  const {strategy, outDir, segmentEvents = 1_000_000, log = () => {}} = options;
  // LAB_REPLAY_TRACE=1: the replay's phases on the log, with the seconds since it started.
  const phase = (what: string) =>
    process.env.LAB_REPLAY_TRACE && log(`[${((performance.now() - started) / 1000).toFixed(2)}s] ${what}`);
  const used = strategyInputs({inputs: options.inputs, strategy});
  const record = runRecord({
    inputs: used,
    strategy,
    options: {
      tickSize: options.tickSize,
      lotSize: options.lotSize,
      columns: options.columns,
      // (Not the reader: the checkpoint keeps the one it was made with, a fallback to sort included.)
      reorderWindowRows: options.reorderWindowRows,
      segmentEvents,
      sampleEveryMs: options.sampleEveryMs,
      sampleLevels: options.sampleLevels,
      symbol: options.symbol,
      dataset: options.dataset
    }
  });
  // Before anything in outDir is touched: a checkpoint of another replay is refused, and kept.
  if (options.resume) checkResume({outDir, record});
  const store = new CheckpointStore({outDir, resume: !!options.resume});
  const scratch = await openScratchDuck({outDir, memoryLimit: options.memoryLimit});
  const duck = scratch.duck;
  let writer: ParquetWriterThread | undefined;
  try {
    const checkpoint = options.resume ? store.resume({outDir, log}) : undefined;
    if (!checkpoint) saveRunRecord({outDir, record});
    const reader = checkpoint?.reader ?? options.reader ?? "window";
    const plan = await planInputs({
      duck,
      used,
      reader,
      tickSize: options.tickSize,
      lotSize: options.lotSize,
      columns: options.columns
    });
    const {tickSize, lotSize, levels} = plan;
    phase("inputs checked");
    const readers = await openReaders({
      duck,
      plan,
      used,
      strategy,
      reader,
      windowRows: options.reorderWindowRows ?? 4096,
      ...(checkpoint ? {checkpoint} : {})
    });

    const book = new Book();
    if (checkpoint) {
      for (const [tick, q] of checkpoint.bids) book.set(BID, tick, q);
      for (const [tick, q] of checkpoint.asks) book.set(ASK, tick, q);
    }
    const counts: ReplayCounts = checkpoint?.counts ?? emptyCounts();
    // Output buffers: one being filled while the writer thread encodes up to three. Output:
    // market_events/symbol=<S>/day=<D>/part-0.parquet (and book_samples.parquet) written directly
    // by the plain writer, one row group per flush (split at midnight); a segment ends at a
    // flush, and its DONE marker holds the writers' states, so a resumed run truncates the files
    // to the last segment and carries on.
    const outs = Array.from({length: 4}, () => new OutBuffer());
    const eventsDir = join(outDir, EVENTS_FOLDER);
    const symbol = options.symbol ?? "UNKNOWN";
    // Encoding and disk writes run on the writer thread, overlapping the replay.
    writer = new ParquetWriterThread(
      eventsDir,
      eventColumns({...plan, symbol, dataset: options.dataset ?? "default"}),
      checkpoint?.writer,
      outs.map((o) => o.columns),
      {dir: eventsDir, prefix: `symbol=${hiveValue(symbol)}`, timeColumn: 1}
    );
    const first = outs[await writer.take()]!;
    const sampleStep = (options.sampleEveryMs ?? 0) * 1e6;
    const samplesPath = sampleStep ? join(outDir, "book_samples.parquet") : undefined;
    const sampleLevels = options.sampleLevels ?? Math.min(20, levels);
    const sampler = samplesPath
      ? new BookSampler({
          path: samplesPath,
          columns: sampleColumns({...plan, levels: sampleLevels}),
          levels: sampleLevels,
          step: sampleStep,
          book,
          ...(checkpoint
            ? {
                resume: {
                  nextSample: checkpoint.nextSample,
                  ...(checkpoint.sampleWriter ? {writer: checkpoint.sampleWriter} : {})
                }
              }
            : {})
        })
      : undefined;
    const loop = createReplayLoop({
      strategy,
      book,
      counts,
      ...(readers.deltas ? {deltas: readers.deltas} : {}),
      snapshots: readers.book,
      trades: readers.trades,
      levels,
      lotSize,
      segmentEvents,
      out: first,
      sampleStep,
      ...(sampler ? {sampler} : {}),
      ...(options.onEvent ? {onEvent: options.onEvent} : {}),
      ...(checkpoint ? {checkpoint} : {})
    });
    const segments = segmentedOutput({
      loop,
      writer,
      outs,
      store,
      readers,
      reader,
      book,
      counts,
      sampler,
      segment: checkpoint?.segment ?? 0,
      nextSample: checkpoint?.nextSample ?? 0,
      stopAfterSegments: options.stopAfterSegments
    });
    phase("streams open");
    await drive({loop, segments, segmentEvents, log});
    phase("replayed");
    await checkEveryRowRead({duck, used, readers});
    await segments.end(true);
    readers.deltas?.close();
    readers.book.close();
    readers.trades.close();
    await writer.close();
    sampler?.close();
    const {waits} = segments;
    phase(
      `written (waited ${(waits.reader / 1000).toFixed(2)}s for the reader, ${(waits.writer / 1000).toFixed(2)}s for the writer thread)`
    );
    const events = loop.events;
    log(
      `${strategy}: ${events.toLocaleString("en-US")} events (${counts.deltas} deltas, ${counts.snapshots} snapshots, ${counts.trades} trades), ${counts.gaps} gaps, ${counts.resyncs} resyncs`
    );
    return {
      path: join(eventsDir, "**", "*.parquet"),
      ...(samplesPath ? {samplesPath} : {}),
      events,
      segments: segments.segment,
      counts,
      tickSize,
      lotSize,
      seconds: (performance.now() - started) / 1000
    };
  } finally {
    await writer?.terminate();
    scratch.close();
  }
}

/** A value as a hive partition folder holds it: as it is when it is a plain name, else URI-encoded. */
function hiveValue(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : encodeURIComponent(value);
}

/** The output side of a replay: buffers handed to the writer thread, and segments ended with a checkpoint. */
function segmentedOutput(o: {
  loop: ReplayLoop;
  writer: ParquetWriterThread;
  outs: OutBuffer[];
  store: CheckpointStore;
  readers: ReplayReaders;
  reader: "window" | "sort";
  book: Book;
  counts: ReplayCounts;
  sampler: BookSampler | undefined;
  segment: number;
  nextSample: number;
  stopAfterSegments: number | undefined;
}) {
  const {loop, writer, outs, readers, sampler} = o;
  const waits = {writer: 0, reader: 0};
  let segment = o.segment;
  let committing: Promise<void> = Promise.resolve();
  /** Hands the filled buffer to the writer thread and takes a free one. */
  const flush = async () => {
    const out = loop.out,
      n = out.n;
    if (!n) return;
    const w0 = performance.now();
    out.seal();
    writer.write(outs.indexOf(out), n);
    loop.out = outs[await writer.take()]!.reset();
    waits.writer += performance.now() - w0;
  };
  /**
   * Ends a segment: hands its last rows to the writer thread, and has the thread write its DONE
   * marker (the checkpoint, as the replay stands now) once they are on disk, so the replay goes on
   * without waiting for each segment's fsync. A marker exists only for a segment whose rows are
   * all written.
   */
  const end = async (final: boolean) => {
    await flush();
    sampler?.flush();
    segment++;
    const k = segment;
    const marker: Omit<Checkpoint, "writer"> = {
      segment: k,
      events: loop.events,
      reader: o.reader,
      consumed: {
        deltas: readers.deltas?.consumed ?? 0,
        snapshots: readers.book.consumed,
        trades: readers.trades.consumed
      },
      ...(o.reader === "window"
        ? {
            windows: {
              ...(readers.windows.deltas ? {deltas: readers.windows.deltas.state()} : {}),
              snapshots: readers.windows.book!.state(),
              trades: readers.windows.trades!.state()
            }
          }
        : {}),
      ...loop.position(),
      nextSample: sampler ? sampler.nextSample : o.nextSample,
      ...(sampler ? {sampleWriter: sampler.state()} : {}),
      ...(final ? {bids: [], asks: []} : o.book.levels()),
      counts: {...o.counts}
    };
    committing = writer.checkpoint(o.store.markerPath(k), marker);
    // A failed marker write fails the run at its next hand-over to the writer, or at the end.
    committing.catch(() => {});
    loop.startSegment();
    const stop = o.stopAfterSegments && k >= o.stopAfterSegments;
    if (final || stop) await committing;
    if (stop) throw new StoppedForTest();
  };
  return {
    flush,
    end,
    waits,
    get segment() {
      return segment;
    }
  };
}

/**
 * The awaiting loop: runs the synchronous replay loop and does what it stopped for (a refill, a
 * hand-over, a segment's end). A function of its own: its thousands of turns make it hot, and
 * compiling it alone is cheap where compiling the whole replay setup with it is not. Progress
 * goes to the log every million events, tested here at each turn rather than at every event.
 */
async function drive({
  loop,
  segments,
  segmentEvents,
  log
}: {
  loop: ReplayLoop;
  segments: ReturnType<typeof segmentedOutput>;
  segmentEvents: number;
  log: (line: string) => void;
}): Promise<void> {
  let nextProgress = (Math.floor(loop.events / 1_000_000) + 1) * 1_000_000;
  const waits = segments.waits;
  for (;;) {
    const why = loop.run();
    if (why === FINISHED) return;
    if (why === REFILL) {
      const r0 = performance.now();
      await loop.takeStarved().refill();
      waits.reader += performance.now() - r0;
    }
    if (loop.out.n === loop.out.capacity) await segments.flush();
    if (loop.segmentEvents >= segmentEvents) await segments.end(false);
    if (loop.events >= nextProgress) {
      log(`replay: ${loop.events.toLocaleString("en-US")} events`);
      nextProgress = (Math.floor(loop.events / 1_000_000) + 1) * 1_000_000;
    }
  }
}

/**
 * Every input row must have been read: a stream that ended early (DuckDB can end a result instead
 * of failing when it runs out of memory) would otherwise leave a silently short replay.
 */
async function checkEveryRowRead({
  duck,
  used,
  readers
}: {
  duck: Duck;
  used: MarketInputs;
  readers: ReplayReaders;
}): Promise<void> {
  for (const [name, cursor] of [
    ["deltas", readers.deltas],
    ["book", readers.book],
    ["trades", readers.trades]
  ] as const) {
    if (!cursor) continue;
    const {n} = await duck.one<{n: bigint}>(`SELECT count(*) AS n FROM ${name}`);
    if (cursor.consumed !== Number(n))
      throw new LabError({
        file: used[name],
        reason: `the replay read ${cursor.consumed.toLocaleString("en-US")} of ${Number(n).toLocaleString("en-US")} rows of the ${name} input; the sorted read ended early`,
        hint: "give the replay more memory (--memory-limit) or fewer threads; nothing was published"
      });
  }
}
