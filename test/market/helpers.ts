import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {createRng} from "../../src/lib/core/random.js";
import {ASK, BID, Book} from "../../src/lib/market/book.js";
import {defaultMarketConfig, type MarketConfig} from "../../src/lib/market/config.js";
import type {DecimalScale} from "../../src/lib/market/decimal-units.js";
import {createHistoryWriter, type HistoryFiles} from "../../src/lib/market/sim/history-writer.js";
import {simulateMarket} from "../../src/lib/market/sim/simulator.js";

/** A simulated market written as history, with every truth change kept in memory (columns). */
export async function simulatedHistory({
  seed = 1,
  seconds = 120,
  config = {}
}: {seed?: number; seconds?: number; config?: Partial<MarketConfig>} = {}) {
  const dir = mkdtempSync(join(tmpdir(), "market-"));
  const cfg = {...defaultMarketConfig, ...config};
  const rng = createRng(seed);
  const writer = await createHistoryWriter({outDir: dir, rng: rng.fork("history"), config: cfg});
  const truth = {u: [] as number[], side: [] as number[], tick: [] as number[], lots: [] as number[]};
  simulateMarket({
    rng: rng.fork("market"),
    config: cfg,
    seconds,
    sink: {
      change(t, u, side, tick, lots) {
        (truth.u.push(u), truth.side.push(side), truth.tick.push(tick), truth.lots.push(lots));
        writer.sink.change(t, u, side, tick, lots);
      },
      trade: (...a) => writer.sink.trade(...a),
      snapshot: (...a) => writer.sink.snapshot(...a),
      regime: (...a) => writer.sink.regime!(...a)
    }
  });
  const files: HistoryFiles = await writer.finish();
  /** A book that follows the truth up to any update id (forward only). */
  const truthBook = () => {
    const book = new Book();
    let next = 0;
    return {
      book,
      upTo(u: number) {
        while (next < truth.u.length && truth.u[next]! <= u) {
          book.set(truth.side[next] === 0 ? BID : ASK, truth.tick[next]!, truth.lots[next]!);
          next++;
        }
      }
    };
  };
  return {
    dir,
    files,
    inputs: {trades: files.trades, book: files.book, deltas: files.deltas},
    truth,
    truthBook,
    config: cfg
  };
}

/** The top `levels` levels of both sides as [side, tick, lots], within a known price range. */
export function topLevels(
  book: Book,
  levels = 20,
  range: {bidFloor: number; askCeiling: number} = {bidFloor: -Infinity, askCeiling: Infinity}
): number[][] {
  const p = new Float64Array(levels),
    q = new Float64Array(levels);
  const out: number[][] = [];
  for (const side of [BID, ASK]) {
    const n = book.top(side, levels, p, q);
    for (let i = 0; i < n; i++) {
      if (side === BID ? p[i]! < range.bidFloor : p[i]! > range.askCeiling) break;
      out.push([side, p[i]!, q[i]!]);
    }
  }
  return out;
}

/**
 * The books a capture resyncs to, recorded by its `onResync` hook in the truth's units: the
 * simulated feed's cents and 1e-4 lots, whatever decimals the feed's strings use.
 */
export function resyncRecorder() {
  const resyncs: {u: number; levels: number[][]}[] = [];
  const onResync = (book: Book, u: number, scale: DecimalScale) =>
    resyncs.push({
      u,
      levels: topLevels(book, 50).map(([side, t, l]) => [
        side!,
        t! * 10 ** (2 - scale.price),
        l! * 10 ** (4 - scale.qty)
      ])
    });
  return {resyncs, onResync};
}

/** Every row in file order, hashed with its position: equal fingerprints = same rows, same order. */
export async function fingerprint(path: string): Promise<{n: number; h: string}> {
  const duck = await openDuckDB();
  try {
    const [row] = await duck.all<{n: bigint; h: bigint}>(
      `SELECT count(*) AS n, sum(hash(rn, e)) AS h FROM (SELECT row_number() OVER () AS rn, t::VARCHAR AS e FROM read_parquet('${path}') t)`
    );
    return {n: Number(row!.n), h: String(row!.h)};
  } finally {
    duck.close();
  }
}

/** The simulated feed's truth at given update ids (the feed runs the simulator with this seed). */
export function truthAt(seed: number, ids: number[]): Map<number, number[][]> {
  const wanted = new Set(ids);
  const max = Math.max(...ids);
  const book = new Book();
  const out = new Map<number, number[][]>();
  try {
    simulateMarket({
      rng: createRng(seed).fork("market"),
      config: defaultMarketConfig,
      seconds: 1e6,
      sink: {
        change(_t, u, side, tick, lots) {
          book.set(side, tick, lots);
          if (wanted.has(u)) out.set(u, topLevels(book, 50));
          if (u >= max) throw new Error("done");
        },
        trade() {},
        snapshot() {}
      }
    });
  } catch (error) {
    if ((error as Error).message !== "done") throw error;
  }
  return out;
}
