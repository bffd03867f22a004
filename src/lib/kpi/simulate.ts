import type {Rng} from "../core/random.js";
import {isHoliday} from "./calendar.js";

export interface KpiTruth {
  metric: string;
  day: string;
  kind: "SPIKE" | "DROP";
  factor: number;
}

export interface SimulatedEvents {
  /** Hourly events: the daily value spread over the day. */
  events: {source: string; ts: Date; metric: string; value: number}[];
  /** The daily totals before noise-free truth is hidden (for checks). */
  daily: {metric: string; day: string; value: number}[];
  truth: KpiTruth[];
  holidays: string[];
}

const METRICS = [
  {metric: "orders", level: 1200, trendPerYear: 0.25, weekly: [0.78, 1.05, 1.08, 1.07, 1.1, 1.02, 0.9], yearly: 0.12},
  {
    metric: "revenue",
    level: 54_000,
    trendPerYear: 0.18,
    weekly: [0.8, 1.04, 1.06, 1.06, 1.12, 1.05, 0.87],
    yearly: 0.15
  },
  {metric: "signups", level: 310, trendPerYear: 0.4, weekly: [0.7, 1.1, 1.1, 1.08, 1.06, 1.0, 0.96], yearly: 0.08},
  {
    metric: "support_tickets",
    level: 95,
    trendPerYear: -0.1,
    weekly: [0.72, 1.15, 1.1, 1.08, 1.05, 1.0, 0.9],
    yearly: 0.05
  }
];

/**
 * Daily KPI series with trend, weekly and yearly seasonality, holidays and multiplicative noise,
 * with anomalies injected on ~4% of days (spikes ×2–3, drops ×0.15–0.4) and returned as
 * the truth table. Each day is emitted as 24 hourly events that sum to the daily value.
 */
export function simulateKpiEvents({
  rng,
  start = "2023-01-01",
  days = 730,
  anomalyRate = 0.04
}: {
  rng: Rng;
  start?: string;
  days?: number;
  anomalyRate?: number;
}): SimulatedEvents {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  const events: SimulatedEvents["events"] = [];
  const daily: SimulatedEvents["daily"] = [];
  const truth: KpiTruth[] = [];
  const holidays = new Set<string>();
  for (const m of METRICS) {
    const r = rng.fork(m.metric);
    for (let d = 0; d < days; d++) {
      const date = new Date(t0 + d * 86_400_000);
      const day = date.toISOString().slice(0, 10);
      const doy = d % 365;
      const holiday = isHoliday(day);
      if (holiday) holidays.add(day);
      let value =
        m.level *
        (1 + (m.trendPerYear * d) / 365) *
        m.weekly[date.getUTCDay()]! *
        (1 + m.yearly * Math.sin((2 * Math.PI * (doy - 80)) / 365)) *
        (holiday ? 0.55 : 1) *
        Math.exp(r.normal(0, 0.05));
      if (d >= 28 && !holiday && r.bernoulli(anomalyRate)) {
        const spike = r.bernoulli(0.5);
        const factor = spike ? r.uniform(2, 3) : r.uniform(0.15, 0.4);
        value *= factor;
        truth.push({metric: m.metric, day, kind: spike ? "SPIKE" : "DROP", factor: +factor.toFixed(3)});
      }
      daily.push({metric: m.metric, day, value});
      // Spread over the day with a diurnal profile; the hourly parts sum to the day exactly.
      const weights = Array.from({length: 24}, (_, h) => 0.3 + Math.exp(-0.5 * ((h - 14) / 4) ** 2));
      const total = weights.reduce((a, b) => a + b, 0);
      let left = Math.round(value * 100) / 100;
      weights.forEach((w, h) => {
        const part = h === 23 ? left : Math.round(((value * w) / total) * 100) / 100;
        left = Math.round((left - part) * 100) / 100;
        events.push({source: "simulator", ts: new Date(date.getTime() + h * 3_600_000), metric: m.metric, value: part});
      });
    }
  }
  return {events, daily, truth, holidays: [...holidays].sort()};
}
