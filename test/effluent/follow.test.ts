import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {createServer} from "node:http";
import type {AddressInfo} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {defaultEffluentConfig} from "../../src/lib/effluent/config.js";
import {followEffluent, type LiveFinding} from "../../src/lib/effluent/follow.js";
import {MPCB_COLUMNS} from "../../src/lib/effluent/mpcb-columns.js";
import {simulatePlant} from "../../src/lib/effluent/simulate.js";
import {createWebhookSender} from "../../src/lib/effluent/webhook.js";
import {formatLocalTime, writeFactoryFeeds, writeMpcbExport} from "../../src/lib/effluent/write-feeds.js";

describe("live mode", () => {
  test("a shock, its attribution and the webhook call follow within 2 s of the line that reveals it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effluent-follow-"));
    const sim = simulatePlant({rng: createRng(21), days: 5, tamper: false});
    const shock = sim.truthShocks.find((t) => t.factory_id)!;
    const cut = shock.inlet_start.getTime() - 5 * 60_000;
    // The site's files so far: everything up to five minutes before the shock reaches the inlet.
    const cetpPath = join(dir, "cetp.csv");
    writeMpcbExport({path: cetpPath, readings: sim.cetp.filter((r) => r.ts.getTime() < cut)});
    writeFactoryFeeds({dir: join(dir, "factories"), readings: sim.factories.filter((r) => r.ts.getTime() < cut)});
    const received: unknown[] = [];
    const hook = createServer((req, res) => {
      let body = "";
      req
        .on("data", (c) => (body += c))
        .on("end", () => {
          received.push(JSON.parse(body));
          res.writeHead(received.length === 1 ? 503 : 200).end(); // first delivery fails: retried
        });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const controller = new AbortController();
    const findings: {finding: LiveFinding; at: number}[] = [];
    const following = followEffluent({
      cetpPath,
      factoryPaths: [join(dir, "factories")],
      outDir: join(dir, "out"),
      config: defaultEffluentConfig,
      signal: controller.signal,
      webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      onFinding: (finding) => findings.push({finding, at: performance.now()})
    });
    await new Promise((r) => setTimeout(r, 1500)); // the history is read
    const before = findings.length;
    // Factory lines land first (they lead by the travel time), then the inlet minute by minute.
    const later = sim.factories.filter((r) => r.ts.getTime() >= cut && r.ts.getTime() < shock.inlet_end.getTime());
    for (const r of later)
      appendFileSync(
        join(dir, "factories", `${r.factory_id}.csv`),
        `0,${formatLocalTime(r.ts, 330)},${r.factory_id},${r.cod ?? ""},${r.bod ?? ""},${r.ph ?? ""},${r.tss ?? ""}\n`
      );
    let landed = 0;
    for (const r of sim.cetp.filter((x) => x.ts.getTime() >= cut && x.ts.getTime() < shock.inlet_end.getTime())) {
      const cells = [
        0,
        formatLocalTime(r.ts, 330),
        r.inlet_cod,
        r.inlet_bod,
        r.inlet_ph,
        r.inlet_tss,
        r.outlet_cod,
        r.outlet_bod,
        r.outlet_ph,
        r.outlet_tss
      ].map((v) => `"${v ?? "NA"}"`);
      appendFileSync(cetpPath, cells.join(",") + "\r\n");
      if (r.inlet_cod! >= 200 && !landed) landed = performance.now();
      await new Promise((res) => setTimeout(res, 40));
    }
    await new Promise((r) => setTimeout(r, 2500));
    controller.abort();
    await following;
    hook.close();
    const live = findings.slice(before);
    const shockFinding = live.find(
      (f) => f.finding.table === "shock_events" && (f.finding.row as {start_ts: Date}).start_ts >= shock.inlet_start
    );
    expect(shockFinding, JSON.stringify(live.map((f) => f.finding.table))).toBeDefined();
    expect(shockFinding!.at - landed).toBeLessThan(2000);
    const ours = live.find(
      (f) =>
        f.finding.table === "attributions" &&
        (f.finding.row as {method: string}).method === "robust_lag" &&
        (f.finding.row as {event_id: string}).event_id === (shockFinding!.finding.row as {event_id: string}).event_id
    );
    expect((ours!.finding.row as {factory_id: string}).factory_id).toBe(shock.factory_id);
    expect(readFileSync(join(dir, "out", "live", "shock_events.jsonl"), "utf-8")).toContain(
      (shockFinding!.finding.row as {event_id: string}).event_id
    );
    // The webhook got the attribution on the second try.
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received[1]).toMatchObject({type: "attribution", factory_id: shock.factory_id});
  }, 60_000);

  test("a webhook that stays down is given up on, without blocking the sender", async () => {
    const logs: string[] = [];
    const sender = createWebhookSender({
      url: "http://127.0.0.1:9/unreachable",
      maxAttempts: 3,
      backoffMs: 20,
      log: (l) => logs.push(l)
    });
    const started = performance.now();
    sender.send({a: 1});
    expect(performance.now() - started).toBeLessThan(20);
    await sender.drain();
    expect(logs.filter((l) => l.includes("retrying"))).toHaveLength(2);
    expect(logs.at(-1)).toMatch(/^webhook: gave up after 3 attempts/);
  });

  test("the header check of a followed export is the same as the batch reader's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effluent-follow-bad-"));
    mkdirSync(join(dir, "f"));
    writeFileSync(
      join(dir, "cetp.csv"),
      MPCB_COLUMNS.map((c) => `"${c.header}"`)
        .join(",")
        .replace("Time", "Timestamp") + "\n"
    );
    const controller = new AbortController();
    await expect(
      followEffluent({
        cetpPath: join(dir, "cetp.csv"),
        factoryPaths: [join(dir, "f")],
        outDir: join(dir, "out"),
        config: defaultEffluentConfig,
        signal: controller.signal
      })
    ).rejects.toThrow(/unexpected header/);
  });

  test("a malformed appended row is quarantined and following goes on; a growing FROZEN run stays one finding", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effluent-follow-frozen-"));
    const sim = simulatePlant({rng: createRng(5), days: 2, tamper: false});
    const t0 = sim.cetp[0]!.ts.getTime();
    const cut = t0 + 30 * 3600_000;
    const cetpPath = join(dir, "cetp.csv");
    writeMpcbExport({path: cetpPath, readings: sim.cetp.filter((r) => r.ts.getTime() < cut)});
    writeFactoryFeeds({dir: join(dir, "factories"), readings: sim.factories.filter((r) => r.ts.getTime() < cut)});
    const controller = new AbortController();
    const findings: LiveFinding[] = [];
    const following = followEffluent({
      cetpPath,
      factoryPaths: [join(dir, "factories")],
      outDir: join(dir, "out"),
      signal: controller.signal,
      pollMs: 100,
      evidenceKey: null,
      onFinding: (f) => findings.push(f)
    });
    const until = async (what: string, ok: () => boolean) => {
      for (let waited = 0; !ok(); waited += 100) {
        if (waited > 60_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const exportLine = (r: (typeof sim.cetp)[number], cod: string) =>
      [0, formatLocalTime(r.ts, 330), cod, "NA", "7.2", "NA", "41", "NA", "7.5", "NA"].map((v) => `"${v}"`).join(",") +
      "\r\n";
    // One row with "abc" for the inlet COD: quarantined with file, line and column.
    const lines = readFileSync(cetpPath, "utf8").split("\r\n").length;
    appendFileSync(
      cetpPath,
      exportLine(
        sim.cetp.find((r) => r.ts.getTime() >= cut)!,
        "abc"
      )
    );
    await until("the quarantined row", () => findings.some((f) => f.table === "effluent_quarantine"));
    expect(findings.find((f) => f.table === "effluent_quarantine")!.row).toEqual({
      file: cetpPath,
      line: lines,
      column: "CETP_INLET-COD - (mg/l) Raw",
      reason: 'not a number: "abc"',
      raw: expect.stringContaining(",abc,")
    });
    // Then F01's sensor sticks at 777 mg/L while rows keep arriving, 30 minutes a batch.
    const frozenFrom = cut + 60_000;
    const batch = async (k: number) => {
      const from = frozenFrom + k * 30 * 60_000;
      const to = from + 30 * 60_000;
      const inBatch = (t: Date) => t.getTime() >= from && t.getTime() < to;
      for (const r of sim.factories.filter((x) => inBatch(x.ts)))
        appendFileSync(
          join(dir, "factories", `${r.factory_id}.csv`),
          `0,${formatLocalTime(r.ts, 330)},${r.factory_id},${r.factory_id === "F01" ? 777 : r.cod},${r.bod ?? ""},${r.ph ?? ""},${r.tss ?? ""}\n`
        );
      for (const r of sim.cetp.filter((x) => inBatch(x.ts)))
        appendFileSync(cetpPath, exportLine(r, String(r.inlet_cod)));
      return new Date(to - 60_000);
    };
    const frozen = () =>
      findings.filter(
        (f): f is LiveFinding & {table: "tamper_events"} =>
          f.table === "tamper_events" && f.row.factory_id === "F01" && f.row.kind === "FROZEN"
      );
    let last = new Date(0);
    for (let k = 0; k < 4; k++) {
      last = await batch(k);
      const lastMinute = last.getTime();
      if (k >= 1)
        await until(`FROZEN through batch ${k}`, () =>
          frozen().some((f) => f.row.window_end.getTime() >= lastMinute - 3 * 60_000)
        );
    }
    controller.abort();
    await following;
    const seen = frozen();
    expect(seen.filter((f) => !f.update)).toHaveLength(1);
    expect(seen.filter((f) => f.update).length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen.map((f) => f.row.finding_id)).size).toBe(1);
    expect(new Set(seen.map((f) => f.row.window_start.getTime())).size).toBe(1);
    const firstFrozen = sim.factories.find((r) => r.factory_id === "F01" && r.ts.getTime() >= frozenFrom)!.ts;
    expect(seen[0]!.row.window_start).toEqual(firstFrozen);
    // The file holds the finding once, rewritten in place with its latest window.
    const onFile = readFileSync(join(dir, "out", "live", "tamper_events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as {factory_id: string; kind: string; window_start: string; window_end: string})
      .filter((t) => t.factory_id === "F01" && t.kind === "FROZEN");
    expect(onFile).toHaveLength(1);
    expect(onFile[0]!.window_start).toBe(firstFrozen.toISOString());
    expect(new Date(onFile[0]!.window_end).getTime()).toBeGreaterThanOrEqual(last.getTime() - 3 * 60_000);
  }, 180_000);
});
