import type {MarketObservation} from "./report.js";

/** The part of an observation within [fromNs, toNs] (trades, samples, events and top of book alike). */
export function clipObservation({
  observation: o,
  fromNs,
  toNs
}: {
  observation: MarketObservation;
  fromNs: number;
  toNs: number;
}): MarketObservation {
  const keep = (t: Float64Array) => {
    const idx: number[] = [];
    for (let i = 0; i < t.length; i++) if (t[i]! >= fromNs && t[i]! <= toNs) idx.push(i);
    return idx;
  };
  const pick = (xs: Float64Array, idx: number[]) => Float64Array.from(idx, (i) => xs[i]!);
  const ti = keep(o.trades.tNs);
  const si = keep(o.samples.tNs);
  const L = o.samples.levels;
  const rows = (xs: Float64Array) => {
    const out = new Float64Array(si.length * L);
    si.forEach((i, k) => out.set(xs.subarray(i * L, i * L + L), k * L));
    return out;
  };
  const ei = keep(o.eventTNs);
  const top = o.top ? {idx: keep(o.top.tNs), top: o.top} : undefined;
  return {
    trades: {
      tNs: pick(o.trades.tNs, ti),
      price: pick(o.trades.price, ti),
      qty: pick(o.trades.qty, ti),
      side: Uint8Array.from(ti, (i) => o.trades.side[i]!)
    },
    samples: {
      ...o.samples,
      tNs: pick(o.samples.tNs, si),
      bidPx: rows(o.samples.bidPx),
      bidQty: rows(o.samples.bidQty),
      askPx: rows(o.samples.askPx),
      askQty: rows(o.samples.askQty)
    },
    eventTNs: pick(o.eventTNs, ei),
    ...(top
      ? {top: {tNs: pick(top.top.tNs, top.idx), bid: pick(top.top.bid, top.idx), ask: pick(top.top.ask, top.idx)}}
      : {}),
    ...(o.gaps !== undefined ? {gaps: o.gaps} : {}),
    ...(o.drift ? {drift: o.drift} : {})
  };
}
