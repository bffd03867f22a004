import {createRng} from "../../core/random.js";
import {ASK, BID} from "../book.js";
import type {MarketConfig} from "../config.js";
import type {MarketObservation} from "../fidelity/report.js";
import {simulateMarket} from "../sim/simulator.js";

/** Decimal places of a power-of-ten-ish increment (0.01 → 2, 0.00001 → 5). */
export function decimalsOf(increment: number): number {
  for (let k = 0; k <= 12; k++) if (Math.abs(Math.round(increment * 10 ** k) - increment * 10 ** k) < 1e-9) return k;
  return 12;
}

/**
 * The lab's simulator run with `config` for `seconds`, observed as a recording is: every trade
 * (exchange time cut to the millisecond, as the trade stream carries it) and the top `levels`
 * levels every `intervalMs`. Prices and sizes are integers over a power of ten, as the recording's
 * reader makes them, so equal values compare equal. A pure function of the seed.
 */
export function observeSimulation({
  config,
  seconds,
  seed,
  intervalMs = 100,
  levels = 20,
  warmupSeconds = 60
}: {
  config: MarketConfig;
  /** Observed seconds, after `warmupSeconds` unobserved ones (the initial book is the simulator's, not the market's). */
  seconds: number;
  warmupSeconds?: number;
  seed: number | string;
  intervalMs?: number;
  levels?: number;
}): MarketObservation {
  const priceUnit = 10 ** decimalsOf(config.tickSize),
    qtyUnit = 10 ** decimalsOf(config.lotSize);
  const tickUnits = Math.round(config.tickSize * priceUnit),
    lotUnits = Math.round(config.lotSize * qtyUnit);
  const px = (tick: number) => (tick * tickUnits) / priceUnit;
  const qty = (lots: number) => (lots * lotUnits) / qtyUnit;
  const trades = {t: [] as number[], price: [] as number[], qty: [] as number[], side: [] as number[]};
  const sampleT: number[] = [];
  const cols = {bidPx: [] as number[], bidQty: [] as number[], askPx: [] as number[], askQty: [] as number[]};
  const events: number[] = [];
  const warmupNs = warmupSeconds * 1e9;
  const p = new Float64Array(levels),
    q = new Float64Array(levels);
  simulateMarket({
    rng: createRng(`calibrated-${seed}`),
    config: {...config, snapshotIntervalMs: intervalMs, snapshotJitterMs: 0, snapshotLevels: levels},
    seconds: seconds + warmupSeconds,
    sink: {
      change(tNs) {
        if (tNs >= warmupNs) events.push(tNs);
      },
      trade(tNs, _id, takerSide, tick, lots) {
        if (tNs < warmupNs) return;
        trades.t.push(Math.floor(tNs / 1e6) * 1e6);
        trades.price.push(px(tick));
        trades.qty.push(qty(lots));
        trades.side.push(takerSide === BID ? 0 : 1);
      },
      snapshot(tNs, _seq, book) {
        if (tNs < warmupNs) return;
        sampleT.push(tNs);
        for (const [side, pxCol, qtyCol] of [
          [BID, cols.bidPx, cols.bidQty],
          [ASK, cols.askPx, cols.askQty]
        ] as const) {
          const n = book.top(side, levels, p, q);
          for (let l = 0; l < levels; l++) {
            pxCol.push(l < n ? px(p[l]!) : NaN);
            qtyCol.push(l < n ? qty(q[l]!) : NaN);
          }
        }
      }
    }
  });
  return {
    trades: {
      tNs: Float64Array.from(trades.t),
      price: Float64Array.from(trades.price),
      qty: Float64Array.from(trades.qty),
      side: Uint8Array.from(trades.side)
    },
    samples: {
      tNs: Float64Array.from(sampleT),
      intervalNs: intervalMs * 1e6,
      levels,
      bidPx: Float64Array.from(cols.bidPx),
      bidQty: Float64Array.from(cols.bidQty),
      askPx: Float64Array.from(cols.askPx),
      askQty: Float64Array.from(cols.askQty)
    },
    eventTNs: Float64Array.from(events)
  };
}
