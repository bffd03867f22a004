import {ASK, BID, type Book, type Side} from "../book.js";
import type {ReplayCursor} from "./cursor.js";
import * as layout from "./out-buffer.js";
import type {OutBuffer} from "./out-buffer.js";
import * as kinds from "./types.js";
import type {ReplayLoop, ReplayLoopOptions} from "./types.js";

// The replay's hot path. Its per-event code is written out where it runs (`deltaRun` repeats
// `storeState`, the depth refresh and the crossed check inline) because V8 runs out of inlining
// budget inside `deltaRun`, and a call it does not inline boxes every double passed to it: a heap
// allocation per event. A change to one copy is a change to the other.

// The buffer layout and event codes as this module's own constants, which V8 folds into the loop
// (an imported binding is loaded at each use).
const {
  B_DELTA_SIDE,
  B_GAP,
  B_RESYNC,
  B_TRADE_SIDE,
  B_TYPE,
  CAP,
  F_DELTA_LOTS,
  F_DELTA_TICK,
  F_DRIFT,
  F_IMBALANCE,
  F_RECEIVED,
  F_T,
  F_TRADE_ID,
  F_TRADE_LOTS,
  F_TRADE_TICK,
  F_U,
  R_ASK,
  R_ASK5,
  R_BID,
  R_BID5,
  R_MID_SUM,
  R_SPREAD,
  R_START
} = layout;
const {EVENT_DELTA, EVENT_SNAPSHOT, EVENT_TRADE} = kinds;
const SNAPSHOT_USED = 1,
  SNAPSHOT_RESYNC = 2;

/**
 * Why `run` returned. The hot loop is synchronous: it runs events until one needs an await (an
 * input to refill, a full buffer to hand over, a segment to end) and says which; the caller awaits
 * it and calls again (an async function's loop would keep its state through the generator; this
 * one is plain optimised code).
 */
export const FINISHED = 0,
  REFILL = 1,
  FLUSH = 2;
const RUN_ENDED = 3;

/**
 * The book's state after an event at row r, as the runs of an output buffer: a run begins where it
 * differs from the last one (best prices in ticks, -1 for an empty side; depths over 5 levels),
 * holding what derives from it too (NaN for an empty side); the imbalance, which changes at
 * nearly every run, is a value a row (the writer copies it as it is). For trades and snapshots
 * (`emit`); `deltaRun` holds its own copy.
 */
function storeState(o: OutBuffer, r: number, bb: number, ba: number, bid5: number, ask5: number): void {
  const f = o.f;
  if (bb !== o.lastBid || ba !== o.lastAsk || bid5 !== o.lastBid5 || ask5 !== o.lastAsk5) {
    const k = o.runs;
    const bid = bb >= 0 ? bb : NaN,
      ask = ba >= 0 ? ba : NaN;
    f[R_START + k] = r;
    f[R_BID + k] = bid;
    f[R_ASK + k] = ask;
    f[R_BID5 + k] = bid5;
    f[R_ASK5 + k] = ask5;
    f[R_SPREAD + k] = ask - bid;
    f[R_MID_SUM + k] = bid + ask;
    const both = bid5 + ask5;
    o.lastImbalance = both > 0 ? (bid5 - ask5) / both : NaN;
    o.runs = k + 1;
    ((o.lastBid = bb), (o.lastAsk = ba), (o.lastBid5 = bid5), (o.lastAsk5 = ask5));
  }
  f[F_IMBALANCE + r] = o.lastImbalance;
}

/**
 * Rebuilds the book event by event and fills the output buffers (see reconstructMarket for the
 * strategies).
 */
// Over 150 lines: one closure holds the replay's state, which its inner functions read in place.
export function createReplayLoop(options: ReplayLoopOptions): ReplayLoop {
  const {strategy, book, counts, levels, lotSize, segmentEvents, sampleStep, sampler, checkpoint} = options;
  // The merge. Keys: book events by update id (full replay) or origin time; trades by origin time.
  const D = options.deltas,
    S = options.snapshots,
    T = options.trades;
  let out = options.out;
  let lastU = checkpoint?.lastUpdateId ?? -1;
  let initialised = checkpoint?.initialised ?? false;
  let gap = checkpoint?.gap ?? false;
  let bidFloor = checkpoint?.bidFloor ?? Infinity,
    askCeiling = checkpoint?.askCeiling ?? -Infinity;
  let events = checkpoint?.events ?? 0;
  let segEvents = 0;
  const sampleUpTo = (t: number) => {
    if (!sampleStep || !initialised) return;
    sampler!.upTo(t);
  };

  // Depth over 5 levels, cached: only a delta inside them changes it (see deltaRun); a
  // snapshot or a trade that moves the book marks it dirty, to be walked again.
  let bid5 = 0,
    ask5 = 0,
    bid5Edge = -Infinity,
    ask5Edge = Infinity,
    depthDirtyBid = true,
    depthDirtyAsk = true;

  // The output row for the current event: the book state after it; returns its index. Kept small
  // (the rare work is in functions of its own), and the caller stores the event's time and any
  // snapshot fields, so that it stays inlined in the merge loop.
  const refreshDepth = () => {
    if (depthDirtyBid)
      ((book.measureDepth(BID, 5), (bid5 = book.depthTotal)), (bid5Edge = book.depthEdge), (depthDirtyBid = false));
    if (depthDirtyAsk)
      ((book.measureDepth(ASK, 5), (ask5 = book.depthTotal)), (ask5Edge = book.depthEdge), (depthDirtyAsk = false));
  };
  const crossed = () => {
    counts.crossedEvents++;
    if (!gap) ((gap = true), counts.gaps++);
  };
  const emit = (type: number) => {
    const o = out,
      r = o.n;
    o.b[B_TYPE + r] = type;
    const bb = book.bestBid,
      ba = book.bestAsk;
    if (depthDirtyBid || depthDirtyAsk) refreshDepth();
    storeState(o, r, bb, ba, bid5, ask5);
    if (bb >= 0 && ba >= 0 && bb >= ba) crossed();
    o.b[B_GAP + r] = gap ? 1 : 0;
    o.n = r + 1;
    events++;
    segEvents++;
    return r;
  };

  const wideP = new Float64Array(levels * 4),
    wideQ = new Float64Array(levels * 4);
  // What a snapshot did, as SNAPSHOT_USED | SNAPSHOT_RESYNC, and its drift in snapshotDrift[0]:
  // no object or boxed number made for each of them.
  const snapshotDrift = new Float64Array(1);
  const applySnapshot = (c: ReplayCursor): number => {
    // The snapshot's row, read in place (its levels: price, size pairs from 2, bids then asks).
    const rows = c.rows,
      at = c.at;
    const seq = rows[at + 1]!;
    const bestBid = rows[at + 2]!,
      bestAsk = rows[at + 2 + 2 * levels]!;
    if (!Number.isNaN(bestBid) && !Number.isNaN(bestAsk) && bestBid >= bestAsk) {
      // A crossed snapshot cannot be a true book: flagged, not used.
      counts.crossedSnapshots++;
      snapshotDrift[0] = NaN;
      return 0;
    }
    let drift = NaN;
    let extends_ = false;
    if (initialised) {
      // Drift: RMS over the snapshot's levels of (our size − its size), before resyncing.
      let sum = 0,
        n = 0;
      for (let side: Side = BID; side <= ASK; side++) {
        const off = side === BID ? 2 : 2 + 2 * levels;
        let worst = NaN;
        const floor = side === BID ? bidFloor : askCeiling;
        for (let l = 0; l < levels; l++) {
          const p = rows[at + off + 2 * l]!;
          if (Number.isNaN(p)) break;
          // Levels beyond what the replay could know are learned from the snapshot, not drift.
          if (side === BID ? p < floor : p > floor) {
            extends_ = true;
            break;
          }
          const diff = book.quantity(side, p) - rows[at + off + 2 * l + 1]!;
          sum += diff * diff;
          n++;
          worst = p;
        }
        // Levels we hold inside the snapshot's range that it does not have count as errors too.
        if (!Number.isNaN(worst)) {
          const k = book.top(side, wideP.length, wideP, wideQ, worst);
          // Both lists run best first: one walk along each (a snapshot out of order is searched).
          const sorted = snapshotSorted(rows, at, off, side);
          for (let l = 0, j = 0; l < k; l++) {
            const p = wideP[l]!;
            if (side === BID ? p < worst : p > worst) break;
            let has: boolean;
            if (sorted) {
              while (j < levels && (side === BID ? rows[at + off + 2 * j]! > p : rows[at + off + 2 * j]! < p)) j++;
              has = j < levels && rows[at + off + 2 * j] === p;
            } else has = snapshotHas(rows, at, off, p);
            // Without a branch: arithmetic first reached mid-replay would deoptimise.
            const q = wideQ[l]!,
              miss = has ? 0 : 1;
            ((sum += miss * q * q), (n += miss));
          }
        }
      }
      drift = n ? Math.sqrt(sum / n) : 0;
      counts.driftSum += drift;
      counts.driftMax = Math.max(counts.driftMax, drift);
      counts.driftSnapshots++;
    }
    const wasGapped = gap;
    const resync = initialised && (gap || drift > 0);
    if (!initialised || resync || extends_) {
      for (let side: Side = BID; side <= ASK; side++) {
        const off = side === BID ? 2 : 2 + 2 * levels;
        let worst = NaN;
        for (let l = 0; l < levels; l++) {
          const p = rows[at + off + 2 * l]!;
          if (Number.isNaN(p)) break;
          worst = p;
        }
        // Clear our levels within the snapshot's range (and any beyond its best), then copy it.
        if (!initialised) {
          // Nothing to clear.
        } else if (Number.isNaN(worst)) {
          clearSide(side, NaN);
        } else clearSide(side, worst);
        for (let l = 0; l < levels; l++) {
          const p = rows[at + off + 2 * l]!;
          if (Number.isNaN(p)) break;
          book.set(side, p, rows[at + off + 2 * l + 1]!);
        }
      }
      if (resync) counts.resyncs++;
      gap = false;
    }
    // What a snapshot shows is known from now on (it matched, or the book now copies it); a gap
    // had made everything else unknown.
    for (let side: Side = BID; side <= ASK; side++) {
      const off = side === BID ? 2 : 2 + 2 * levels;
      let worst = NaN;
      for (let l = 0; l < levels && !Number.isNaN(rows[at + off + 2 * l]!); l++) worst = rows[at + off + 2 * l]!;
      if (Number.isNaN(worst)) continue;
      const keep = initialised && !wasGapped;
      if (side === BID) bidFloor = keep ? Math.min(bidFloor, worst) : worst;
      else askCeiling = keep ? Math.max(askCeiling, worst) : worst;
    }
    if (!initialised || resync || extends_) depthDirtyBid = depthDirtyAsk = true;
    initialised = true;
    if (seq > lastU) lastU = seq;
    snapshotDrift[0] = drift;
    return SNAPSHOT_USED | (resync ? SNAPSHOT_RESYNC : 0);
  };
  const snapshotHas = (rows: Float64Array, at: number, off: number, p: number) => {
    for (let l = 0; l < levels; l++) {
      const q = rows[at + off + 2 * l]!;
      if (q === p) return true;
      if (Number.isNaN(q)) return false;
    }
    return false;
  };
  const snapshotSorted = (rows: Float64Array, at: number, off: number, side: Side) => {
    let prev = rows[at + off]!;
    for (let l = 1; l < levels; l++) {
      const p = rows[at + off + 2 * l]!;
      if (Number.isNaN(p)) return true;
      if (side === BID ? !(p < prev) : !(p > prev)) return false;
      prev = p;
    }
    return true;
  };
  const clearSide = (side: Side, worst: number) => book.clearFrom(side, worst);

  /**
   * A run of deltas from `c`, the current one first, while they come before the next snapshot
   * (by update id; for strategies that merge by origin time, one delta a call), with the trades
   * that come before each next delta (by origin time; full replay only, where a trade leaves the
   * book as it is) written in between — the snapshot's id and the trades read here from their
   * cursors, not passed in (a double passed in is boxed). The replay's state is held in local
   * variables for the run — a closure's variables live in memory, reloaded after every call — and
   * stored back when it ends:
   * RUN_ENDED (the next event is not this run's), REFILL (an input must take in more first) or
   * FLUSH. Each delta: gap checks against the last update id, the level set, the 5-level depths
   * kept up to date, and the output row.
   */
  // Over 150 lines: the delta loop is one function so that V8 compiles it whole (see the head of this file).
  const deltaRun = (c: ReplayCursor): number => {
    const full = strategy === "full_event_replay";
    const snapshotId = !full ? -Infinity : S.done ? Infinity : S.rows[S.at + 1]!;
    let tradeOrigin = T.done ? Infinity : T.rows[T.at]!;
    // What the loop reads at every event, in locals: a closure's variables are loads from its
    // context, which V8 folds to constants only while a process has made one such closure.
    const o = out,
      f = o.f,
      bytes = o.b,
      onEvent = options.onEvent,
      bk = book,
      sampling = sampleStep > 0,
      perSegment = segmentEvents;
    let r = o.n,
      d = o.deltas,
      n = 0,
      ev = events,
      seg = segEvents,
      tr = o.trades,
      nt = 0;
    let k = o.runs,
      lastBB = o.lastBid,
      lastBA = o.lastAsk,
      last5B = o.lastBid5,
      last5A = o.lastAsk5,
      imbalance = o.lastImbalance;
    let u0 = lastU,
      gapped = gap;
    let b5 = bid5,
      a5 = ask5,
      b5Edge = bid5Edge,
      a5Edge = ask5Edge,
      dirtyB = depthDirtyBid,
      dirtyA = depthDirtyAsk;
    let why = RUN_ENDED;
    // Whether the last delta left the book crossed (a trade after it leaves it so); crossed
    // events, and gaps that a crossed book began.
    let crossedBook = false,
      crossings = 0,
      gapStarts = 0;
    run: for (;;) {
      const rows = c.rows,
        at = c.at;
      const t = rows[at]!,
        u = rows[at + 1]!;
      if (sampling) sampleUpTo(t);
      if (u > u0 + 1 && u0 >= 0) {
        if (!gapped) counts.gaps++;
        counts.missingUpdates += u - u0 - 1;
        gapped = true;
      } else if (u < u0) {
        // An older update after a newer one: the book may now hold a stale size.
        counts.outOfOrder++;
        if (!gapped) counts.gaps++;
        gapped = true;
      }
      const side = rows[at + 2]! as Side,
        tick = rows[at + 3]!,
        lots = rows[at + 4]!;
      const before = bk.set(side, tick, lots);
      // Depth over 5 levels: a size change at a level inside them moves it by the difference;
      // a level appearing or vanishing there needs a fresh walk; beyond them nothing changes.
      if (side === BID) {
        if (tick >= b5Edge && !dirtyB) {
          if (before > 0 && lots > 0) b5 += lots - before;
          else dirtyB = true;
        }
      } else if (tick <= a5Edge && !dirtyA) {
        if (before > 0 && lots > 0) a5 += lots - before;
        else dirtyA = true;
      }
      if (u > u0) u0 = u;
      if (dirtyB) ((bk.measureDepth(BID, 5), (b5 = bk.depthTotal)), (b5Edge = bk.depthEdge), (dirtyB = false));
      if (dirtyA) ((bk.measureDepth(ASK, 5), (a5 = bk.depthTotal)), (a5Edge = bk.depthEdge), (dirtyA = false));
      // The output row: the event, then the book after it — a run of the state where it changed.
      const bb = bk.bestBid,
        ba = bk.bestAsk;
      // A crossed book: counted, and gapped from here. Counted without a branch at every delta:
      // code that runs at every delta has type feedback when the loop is compiled, where a branch
      // first taken mid-replay (the first crossed book, an empty side) deoptimises the loop.
      crossedBook = bb >= 0 && ba >= 0 && bb >= ba;
      crossings += crossedBook ? 1 : 0;
      gapStarts += crossedBook && !gapped ? 1 : 0;
      gapped = gapped || crossedBook;
      f[F_T + r] = t;
      f[F_RECEIVED + r] = rows[at + 5]!;
      f[F_U + r - tr] = u;
      // storeState, written out (see the head of this file).
      if (bb !== lastBB || ba !== lastBA || b5 !== last5B || a5 !== last5A) {
        const bid = bb >= 0 ? bb : NaN,
          ask = ba >= 0 ? ba : NaN;
        f[R_START + k] = r;
        f[R_BID + k] = bid;
        f[R_ASK + k] = ask;
        f[R_BID5 + k] = b5;
        f[R_ASK5 + k] = a5;
        f[R_SPREAD + k] = ask - bid;
        f[R_MID_SUM + k] = bid + ask;
        const both = b5 + a5;
        imbalance = both > 0 ? (b5 - a5) / both : NaN;
        k++;
        ((lastBB = bb), (lastBA = ba), (last5B = b5), (last5A = a5));
      }
      f[F_IMBALANCE + r] = imbalance;
      bytes[B_TYPE + r] = EVENT_DELTA;
      bytes[B_GAP + r] = gapped ? 1 : 0;
      bytes[B_DELTA_SIDE + d] = side;
      f[F_DELTA_TICK + d] = tick;
      f[F_DELTA_LOTS + d] = lots;
      (r++, d++, n++, ev++, seg++);
      if (onEvent) onEvent({type: EVENT_DELTA, tNs: t, updateId: u, book, gap: gapped, bidFloor, askCeiling});
      if (c.advance()) {
        ((starved = c), (why = REFILL));
        break;
      }
      if (r === CAP || seg >= perSegment) {
        why = FLUSH;
        break;
      }
      if (c.done || !(c.rows[c.at + 1]! <= snapshotId)) break;
      if (!(tradeOrigin < c.rows[c.at]!)) continue;
      // Trades that come before the next delta (by origin time): in the full replay a trade
      // leaves the book as it is, so they go out here and the run goes on, rather than each
      // going back through the merge and starting a new run.
      if (!full) break;
      for (;;) {
        const trows = T.rows,
          tat = T.at,
          tt = trows[tat]!;
        if (sampling) sampleUpTo(tt);
        // The book is the last delta's: crossed as it was (and gapped already if so), no new
        // run, the imbalance as it was.
        crossings += crossedBook ? 1 : 0;
        f[F_T + r] = tt;
        f[F_RECEIVED + r] = trows[tat + 5]!;
        f[F_IMBALANCE + r] = imbalance;
        bytes[B_TYPE + r] = EVENT_TRADE;
        bytes[B_GAP + r] = gapped ? 1 : 0;
        bytes[B_TRADE_SIDE + tr] = trows[tat + 2]!;
        f[F_TRADE_ID + tr] = trows[tat + 1]!;
        f[F_TRADE_TICK + tr] = trows[tat + 3]!;
        f[F_TRADE_LOTS + tr] = trows[tat + 4]!;
        (r++, tr++, nt++, ev++, seg++);
        if (onEvent) onEvent({type: EVENT_TRADE, tNs: tt, updateId: u0, book, gap: gapped, bidFloor, askCeiling});
        if (T.advance()) {
          ((starved = T), (why = REFILL));
          break run;
        }
        if (r === CAP || seg >= perSegment) {
          why = FLUSH;
          break run;
        }
        tradeOrigin = T.done ? Infinity : T.rows[T.at]!;
        if (!(tradeOrigin < c.rows[c.at]!)) break;
      }
    }
    ((o.n = r),
      (o.deltas = d),
      (o.trades = tr),
      (counts.deltas += n),
      (counts.trades += nt),
      (events = ev),
      (segEvents = seg));
    ((counts.crossedEvents += crossings), (counts.gaps += gapStarts));
    ((o.runs = k),
      (o.lastBid = lastBB),
      (o.lastAsk = lastBA),
      (o.lastBid5 = last5B),
      (o.lastAsk5 = last5A),
      (o.lastImbalance = imbalance));
    ((lastU = u0), (gap = gapped));
    ((bid5 = b5),
      (ask5 = a5),
      (bid5Edge = b5Edge),
      (ask5Edge = a5Edge),
      (depthDirtyBid = dirtyB),
      (depthDirtyAsk = dirtyA));
    return why;
  };
  let starved: ReplayCursor | undefined;
  const replayUntilAwait = (): number => {
    for (;;) {
      // Pick the next source.
      let src = -1; // 0 delta, 1 snapshot, 2 trade
      if (strategy === "full_event_replay") {
        let book: 0 | 1 | -1 = -1;
        if (D && !D.done && !S.done) book = D.rows[D.at + 1]! <= S.rows[S.at + 1]! ? 0 : 1;
        else if (D && !D.done) book = 0;
        else if (!S.done) book = 1;
        if (book === -1) src = T.done ? -1 : 2;
        else {
          const bookOrigin = book === 0 ? D!.rows[D!.at]! : S.rows[S.at]!;
          src = !T.done && T.rows[T.at]! < bookOrigin ? 2 : book;
        }
      } else {
        let best = Infinity,
          bestRank = 9,
          bestId = Infinity;
        const consider = (
          source: number,
          c: ReplayCursor | undefined,
          rank: number,
          idCol: number,
          idOffset: number
        ) => {
          if (!c || c.done) return;
          const t = c.rows[c.at]!,
            id = c.rows[c.at + idCol]! + idOffset;
          if (t < best || (t === best && (rank < bestRank || (rank === bestRank && id < bestId))))
            ((best = t), (bestRank = rank), (bestId = id), (src = source));
        };
        if (strategy === "origin_time_sort") consider(0, D, 0, 1, 0);
        consider(1, S, 0, 1, 0.5);
        consider(2, T, 1, 1, 0);
      }
      if (src === -1) return FINISHED;
      const c = src === 0 ? D! : src === 1 ? S : T;
      if (sampleStep && src !== 0) sampleUpTo(c.rows[c.at]!);
      if (src === 0) {
        if (initialised) {
          // Deltas come in runs (most of a market's events): a run is replayed by a loop of
          // its own, which ends where a snapshot or a trade comes first.
          const why = deltaRun(c);
          if (why !== RUN_ENDED) return why;
          continue;
        }
        counts.preInit++;
      } else if (src === 1) {
        const applied = applySnapshot(c),
          seq = c.rows[c.at + 1]!;
        if (applied & SNAPSHOT_USED || initialised) {
          const r = emit(EVENT_SNAPSHOT);
          out.f[F_T + r] = c.rows[c.at]!;
          out.f[F_RECEIVED + r] = c.rows[c.at + 2 + 4 * levels]!;
          out.f[F_U + r - out.trades] = seq;
          out.b[B_RESYNC + r] = applied & SNAPSHOT_RESYNC ? 1 : 0;
          out.f[F_DRIFT + out.snapshots++] = snapshotDrift[0]! * lotSize;
          counts.snapshots++;
          options.onEvent?.({
            type: EVENT_SNAPSHOT,
            tNs: c.rows[c.at]!,
            updateId: seq,
            book,
            gap,
            bidFloor,
            askCeiling
          });
        }
      } else {
        if (initialised) {
          const side = c.rows[c.at + 2]! as Side,
            tick = c.rows[c.at + 3]!,
            lots = c.rows[c.at + 4]!;
          if (strategy === "snapshot_anchored") {
            // The taker's fill took this size at this price, and everything better before it.
            const passive: Side = side === 0 ? ASK : BID;
            if (passive === ASK) while (book.bestAsk >= 0 && book.bestAsk < tick) book.set(ASK, book.bestAsk, 0);
            else while (book.bestBid >= 0 && book.bestBid > tick) book.set(BID, book.bestBid, 0);
            book.consume(passive, tick, lots);
            depthDirtyBid = depthDirtyAsk = true;
          }
          const r = emit(EVENT_TRADE);
          const f = out.f,
            k = out.trades++;
          f[F_T + r] = c.rows[c.at]!;
          f[F_RECEIVED + r] = c.rows[c.at + 5]!;
          f[F_TRADE_ID + k] = c.rows[c.at + 1]!;
          f[F_TRADE_TICK + k] = tick;
          f[F_TRADE_LOTS + k] = lots;
          out.b[B_TRADE_SIDE + k] = side;
          counts.trades++;
          options.onEvent?.({type: EVENT_TRADE, tNs: f[F_T + r]!, updateId: lastU, book, gap, bidFloor, askCeiling});
        }
      }
      // Past the event's row; an input that must take in more first ends this call.
      if (c.advance()) {
        starved = c;
        return REFILL;
      }
      if (out.n === out.capacity || segEvents >= segmentEvents) return FLUSH;
    }
  };

  return {
    run: replayUntilAwait,
    get out() {
      return out;
    },
    set out(o: OutBuffer) {
      out = o;
    },
    get events() {
      return events;
    },
    get segmentEvents() {
      return segEvents;
    },
    startSegment() {
      segEvents = 0;
    },
    takeStarved() {
      const c = starved!;
      starved = undefined;
      return c;
    },
    position: () => ({lastUpdateId: lastU, initialised, gap, bidFloor, askCeiling})
  };
}
