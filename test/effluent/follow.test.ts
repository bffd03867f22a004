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
});
