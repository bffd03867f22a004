import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {defaultEffluentConfig} from "../../src/lib/effluent/config.js";
import {cadenceMinutes, isFactoryReading} from "../../src/lib/effluent/silence.js";
import {detectTampering} from "../../src/lib/effluent/tamper.js";
import type {CetpReading, FactoryReading} from "../../src/lib/effluent/types.js";
import {shockLevel} from "../../src/lib/effluent/tripwire.js";

const T0 = Date.UTC(2024, 2, 1);
const at = (m: number) => new Date(T0 + m * 60_000);
const DAY = 1440;

/** A row every minute for `minutes`; `value(m)` null = a blank row (the sensor sent nothing). */
function feed(id: string, minutes: number, value: (m: number) => number | null): FactoryReading[] {
  return Array.from({length: minutes}, (_, m) => {
    const cod = value(m);
    return {ts: at(m), factory_id: id, cod, bod: null, ph: null, tss: cod === null ? null : 300, status: "OK"};
  });
}

function exportRows(minutes: number, value: (m: number) => number | null | undefined): CetpReading[] {
  const rows: CetpReading[] = [];
  for (let m = 0; m < minutes; m++) {
    const v = value(m);
    if (v === undefined) continue; // no row at all
    rows.push({
      ts: at(m),
      inlet_cod: v,
      inlet_bod: null,
      inlet_ph: v === null ? null : 7.2,
      inlet_tss: null,
      outlet_cod: null,
      outlet_bod: null,
      outlet_ph: null,
      outlet_tss: null
    });
  }
  return rows;
}

// A live sensor: varies reading to reading, never repeating a stretch of its own or another's series.
const live = (base: number) => {
  const rng = createRng(`sensor ${base}`);
  const values = Array.from({length: DAY}, () => Math.round(base + rng.normal(0, 12)));
  return (m: number) => values[m]!;
};
const every3 = (f: (m: number) => number) => (m: number) => (m % 3 === 0 ? f(m) : null);

describe("readings are rows with a value", () => {
  test("a 3-minute sensor stuck at one value, blank rows between its readings, is FROZEN; its cadence is 3", () => {
    const rows = feed(
      "F01",
      DAY,
      every3(() => 670)
    );
    const found = detectTampering({readings: rows, config: defaultEffluentConfig});
    expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end])).toEqual([
      ["F01", "FROZEN", at(0), at(DAY - 3)]
    ]);
    expect(found[0]!.detail).toBe(
      "COD stuck at 670 mg/L for 1437 min (480 identical readings): a live sensor always varies"
    );
    expect(cadenceMinutes(rows.filter(isFactoryReading).map((r) => r.ts))).toBe(3);
    expect(cadenceMinutes(rows.map((r) => r.ts))).toBe(1);
  });
});

describe("silences", () => {
  const cetp = exportRows(DAY, (m) => 190 + (m % 5));

  test("a hole shared by the export and every feed is one SITE_OUTAGE, whether the export rows are missing or NA", () => {
    for (const missing of [true, false]) {
      const hole = (m: number) => m >= 600 && m < 660;
      const found = detectTampering({
        readings: [
          ...feed("F01", DAY, (m) => (hole(m) ? null : live(800)(m))),
          ...feed("F02", DAY, (m) => (hole(m) ? null : every3(live(500))(m)))
        ],
        cetp: exportRows(DAY, (m) => (hole(m) ? (missing ? undefined : null) : 195)),
        config: defaultEffluentConfig
      });
      expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end])).toEqual([
        [null, "SITE_OUTAGE", at(599), at(660)]
      ]);
      expect(found[0]!.detail).toBe(
        "the export and all 2 factory feeds silent for 61 min: the plant's logger was down, no factory's doing"
      );
    }
  });

  test("every feed silent while the export logs is the feeds' link, not a BLACKOUT each; a lone feed's silence is its own", () => {
    const hole = (m: number) => m >= 600 && m < 660;
    const found = detectTampering({
      readings: [
        ...feed("F01", DAY, (m) => (hole(m) ? null : live(800)(m))),
        ...feed("F02", DAY, (m) => (hole(m) ? null : live(500)(m)))
      ],
      cetp,
      config: defaultEffluentConfig
    });
    expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end, t.detail])).toEqual([
      [
        null,
        "SITE_OUTAGE",
        at(599),
        at(660),
        "all 2 factory feeds silent for 61 min while the export logged 60 of those minutes: the feeds' link was down, no single factory's doing"
      ]
    ]);
    const alone = detectTampering({
      readings: feed("F01", DAY, (m) => (hole(m) ? null : live(800)(m))),
      cetp,
      config: defaultEffluentConfig
    });
    expect(alone.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end])).toEqual([
      ["F01", "BLACKOUT", at(599), at(660)]
    ]);
  });

  test("one factory's silence while the others report: 4 hours of NA rows is a BLACKOUT under the general rule", () => {
    const found = detectTampering({
      readings: [
        ...feed("F01", DAY, (m) => (m >= 300 && m < 540 ? null : live(800)(m))),
        ...feed("F02", DAY, live(500))
      ],
      cetp,
      config: defaultEffluentConfig
    });
    expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end, t.detail])).toEqual([
      [
        "F01",
        "BLACKOUT",
        at(299),
        at(540),
        "no COD reading for 241 min (240 readings missed at its 1-min cadence) while 2 other sources (export, feeds) reported; general rule (≥ 8 missed readings and ≥ 20 min)"
      ]
    ]);
  });

  test("seven missed 3-minute readings: nothing on their own, a BLACKOUT when they cover a shock's search window", () => {
    const silent = (m: number) => m >= 700 && m < 721;
    const readings = [
      ...feed("F01", DAY, live(800)),
      ...feed("F05", DAY, (m) => (silent(m) ? null : every3(live(500))(m)))
    ];
    expect(detectTampering({readings, cetp, config: defaultEffluentConfig})).toEqual([]);
    const window = {event_id: "E1", factory_id: "F05", from: at(706), to: at(725), lag_minutes: 26};
    const found = detectTampering({readings, cetp, searchWindows: [window], config: defaultEffluentConfig});
    expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end, t.detail])).toEqual([
      [
        "F05",
        "BLACKOUT",
        at(699),
        at(723),
        "no COD reading for 24 min (7 readings missed at its 3-min cadence) while 2 other sources (export, feeds) reported; shock-window rule (≥ 5 missed readings and ≥ 15 min over a shock's search window): silent across 2024-03-01 11:46–2024-03-01 12:05 UTC, where a discharge would have had to leave it to cause shock E1 (travel 26 min)"
      ]
    ]);
    // Another factory's search window does not lower F05's bar.
    expect(
      detectTampering({readings, cetp, searchWindows: [{...window, factory_id: "F01"}], config: defaultEffluentConfig})
    ).toEqual([]);
  });

  test("a factory silent across a logger hole and beyond is blamed only for its own part", () => {
    const hole = (m: number) => m >= 600 && m < 660;
    const found = detectTampering({
      readings: [
        ...feed("F01", DAY, (m) => (m >= 560 && m < 700 ? null : live(800)(m))),
        ...feed("F02", DAY, (m) => (hole(m) ? null : live(500)(m)))
      ],
      cetp: exportRows(DAY, (m) => (hole(m) ? undefined : 195)),
      config: defaultEffluentConfig
    });
    expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end])).toEqual([
      ["F01", "BLACKOUT", at(559), at(600)],
      [null, "SITE_OUTAGE", at(599), at(660)],
      ["F01", "BLACKOUT", at(659), at(700)]
    ]);
  });
});

describe("shock levels", () => {
  test("the peak against the larger of the consent limit and the site's baseline", () => {
    const level = (peakMgL: number, baselineMgL: number) =>
      shockLevel({peakMgL, baselineMgL, config: defaultEffluentConfig});
    // A site running below its limit: the limit (200) is the reference.
    expect([205, 221, 250, 400].map((p) => level(p, 150))).toEqual(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
    // A site that normally runs at 240: only a real excursion from its own normal rises a level.
    expect([250, 265, 300, 480].map((p) => level(p, 240))).toEqual(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
  });
});

test("a feed that stops while the other feeds go on is a BLACKOUT still open when their data ends", () => {
  const found = detectTampering({
    readings: [...feed("F01", DAY, (m) => (m >= DAY - 90 ? null : live(800)(m))), ...feed("F02", DAY, live(500))],
    cetp: exportRows(DAY, () => 195),
    config: defaultEffluentConfig
  });
  expect(found.map((t) => [t.factory_id, t.kind, t.window_start, t.window_end, t.detail])).toEqual([
    [
      "F01",
      "BLACKOUT",
      at(DAY - 91),
      at(DAY),
      "no COD reading for 91 min (90 readings missed at its 1-min cadence) while 2 other sources (export, feeds) reported, and still silent when the other feeds' data ends; general rule (≥ 8 missed readings and ≥ 20 min)"
    ]
  ]);
  // Feeds delivered behind the export (all of them) are not silent factories.
  const behind = (series: (m: number) => number) => (m: number) => (m >= DAY - 90 ? null : series(m));
  expect(
    detectTampering({
      readings: [...feed("F01", DAY, behind(live(800))), ...feed("F02", DAY, behind(live(500)))],
      cetp: exportRows(DAY, () => 195),
      config: defaultEffluentConfig
    })
  ).toEqual([]);
});
