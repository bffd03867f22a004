import {mkdtempSync} from "node:fs";
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {startBinanceFeed} from "../../../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../../../src/lib/market/live/capture.js";
import {RestPacer} from "../../../src/lib/market/live/rest-pacer.js";

/** A local HTTP server; `handle` answers each request; the arrival times (ms) of every request by path. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const arrivals: {path: string; at: number}[] = [];
  const server = createServer((req, res) => {
    arrivals.push({path: req.url ?? "", at: Date.now()});
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {url, arrivals, close: () => new Promise<void>((resolve) => server.close(() => resolve()))};
}

describe("REST pacing and back-off", () => {
  test("requests are at least minIntervalMs apart; a 429 backs off exponentially; a 418's Retry-After is honoured", async () => {
    let mode: "ok" | "429" | "418" = "ok";
    const server = await serve((_req, res) => {
      if (mode === "ok") return res.writeHead(200, {"content-type": "application/json"}).end('{"ok":true}');
      res.writeHead(mode === "429" ? 429 : 418, mode === "418" ? {"retry-after": "1"} : {}).end("slow down");
    });
    const log: string[] = [];
    const pacer = new RestPacer({
      baseUrl: server.url,
      pacing: {minIntervalMs: 100, initialMs: 100, maxMs: 800},
      log: (l) => log.push(l)
    });
    for (let i = 0; i < 5; i++) expect(await pacer.get({path: "/ok"})).toEqual({ok: true});
    const ok = server.arrivals.map((a) => a.at);
    // Times are of arrival, which a loaded machine delays by up to tens of ms (never cumulatively);
    // the first request also opened the connection, so it arrived late.
    const slack = 40;
    for (let i = 2; i < ok.length; i++) expect(ok[i]! - ok[i - 1]!).toBeGreaterThanOrEqual(100 - slack);
    expect(ok[4]! - ok[1]!).toBeGreaterThanOrEqual(300 - slack);

    // Refused for a fixed 2.5 s: without a back-off that would be 25 requests at this pace.
    mode = "429";
    const stop = new AbortController();
    const refused = pacer.get({path: "/depth", signal: stop.signal}).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 2500));
    stop.abort(new Error("stopped"));
    expect(((await refused) as Error).message).toBe("stopped");
    const depth = server.arrivals.filter((a) => a.path === "/depth");
    // Waits of at least 100 (the pace), 100, 200, 400, 400… ms (half the back-off, jittered): 9 requests at most.
    expect(depth.length).toBeGreaterThanOrEqual(4);
    expect(depth.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < depth.length; i++)
      expect(depth[i]!.at - depth[i - 1]!.at).toBeGreaterThanOrEqual(
        Math.min(400, Math.max(100, 50 * 2 ** (i - 1))) - slack
      );
    expect(log[0]).toMatch(/^GET \/depth: HTTP 429; retrying in \d+ ms$/);

    expect(pacer.refusals).toBe(depth.length);

    // A ban says how long to stay away (a new pacer: the first one is still backing off).
    mode = "418";
    const started = Date.now();
    const fresh = new RestPacer({baseUrl: server.url, pacing: {minIntervalMs: 100, initialMs: 100, maxMs: 800}});
    const banned = fresh.get<{ok: boolean}>({path: "/banned"});
    await new Promise((r) => setTimeout(r, 200));
    mode = "ok";
    expect(await banned).toEqual({ok: true});
    const bannedAt = server.arrivals.filter((a) => a.path === "/banned").map((a) => a.at);
    expect(bannedAt.length).toBe(2);
    expect(bannedAt[1]! - bannedAt[0]!).toBeGreaterThanOrEqual(1000 - slack);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(fresh.refusals).toBe(1);
    await server.close();
  }, 15_000);

  test("a capture whose snapshots are refused for 1.5 s backs off, keeps its connection and then syncs", async () => {
    const feed = await startBinanceFeed({seed: 21, speed: 20});
    const refuseUntil = Date.now() + 1500;
    // REST in front of the feed: depth refused with 429 at first, everything else passed through.
    const rest = await serve((req, res) => {
      if (req.url?.startsWith("/api/v3/depth") && Date.now() < refuseUntil)
        return res.writeHead(429).end('{"code":-1003,"msg":"Too many requests"}');
      void fetch(`${feed.url}${req.url}`).then(async (r) =>
        res.writeHead(r.status, {"content-type": "application/json"}).end(await r.text())
      );
    });
    const dir = mkdtempSync(join(tmpdir(), "capture-429-"));
    const controller = new AbortController();
    const capture = captureBinance({
      wsUrl: feed.wsUrl,
      restUrl: rest.url,
      symbol: "BTCUSDT",
      outDir: dir,
      snapshotPacing: {minIntervalMs: 50, initialMs: 100, maxMs: 800},
      signal: controller.signal
    });
    await new Promise((r) => setTimeout(r, 3000));
    controller.abort();
    const summary = await capture;
    await rest.close();
    await feed.close();
    const depth = rest.arrivals.filter((a) => a.path.startsWith("/api/v3/depth"));
    const refused = depth.filter((a) => a.at < refuseUntil);
    // Waits of at least 50, 100, 200, 400, 400 ms in the 1.5 s refused: 6 requests at most (30 unpaced).
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeLessThanOrEqual(6);
    expect(summary.snapshotRefusals).toBe(refused.length);
    expect(summary.snapshotRequests).toBe(depth.length);
    expect(summary.resyncs).toBeGreaterThanOrEqual(1);
    expect(summary.reconnects).toBe(0);
    expect(summary.gaps).toEqual([]);
  }, 15_000);
});
