import {afterAll, beforeAll, describe, expect, test} from "vitest";
import WebSocket from "ws";
import {parseDepthLimit, startBinanceFeed, type BinanceFeed} from "../../../src/lib/market/live/binance-feed-server.js";
import {fuzzRng, randomBytes, randomMethod, randomQuery, randomText, send, sendRaw} from "../../servers/http-fuzz.js";

let feed: BinanceFeed;
let port: number;
beforeAll(async () => {
  feed = await startBinanceFeed({seed: 2, speed: 5});
  port = Number(new URL(feed.url).port);
});
afterAll(() => feed.close());

const get = async (path: string, init?: RequestInit) => {
  const response = await fetch(`${feed.url}${path}`, init);
  return {status: response.status, json: (await response.json()) as Record<string, unknown>};
};

/** Resolves with the HTTP status of a refused WebSocket upgrade, or "open". */
const upgrade = (path: string) =>
  new Promise<number | "open">((resolve) => {
    const ws = new WebSocket(`${feed.wsUrl}${path}`);
    ws.on("open", () => (ws.close(), resolve("open")));
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", () => {});
  });

describe("Binance-protocol feed hardening", () => {
  test("a bad depth limit is a 400 with a reason, and the feed keeps serving", async () => {
    for (const limit of ["-3", "1.5", "0", "5001", "abc", "", "1e3", " 5"])
      expect(await get(`/api/v3/depth?symbol=BTCUSDT&limit=${encodeURIComponent(limit)}`)).toEqual({
        status: 400,
        json: {code: -1100, msg: `limit must be an integer from 1 to 5000, got "${limit}"`}
      });
    const good = await get("/api/v3/depth?symbol=BTCUSDT&limit=5");
    expect(good.status).toBe(200);
    expect((good.json.bids as [string, string][]).length).toBe(5);
    expect((good.json.bids as [string, string][]).every(([p, q]) => Number.isFinite(Number(p)) && Number(q) > 0)).toBe(
      true
    );
    expect(parseDepthLimit(null)).toEqual({ok: true, limit: 100});
  });

  test("unknown symbols, methods and streams are refused", async () => {
    expect((await get("/api/v3/depth?symbol=ETHUSDT")).status).toBe(400);
    expect((await get("/api/v3/depth")).status).toBe(400);
    expect((await get("/api/v3/time", {method: "POST"})).status).toBe(405);
    expect(await upgrade("/stream?streams=ethusdt@trade")).toBe(400);
    expect(await upgrade("/stream?streams=btcusdt@kline_1m")).toBe(400);
    expect(await upgrade(`/stream?streams=${Array(17).fill("btcusdt@trade").join("/")}`)).toBe(400);
    expect(await upgrade("/stream?streams=btcusdt@trade/btcusdt@depth@100ms")).toBe("open");
  });

  test("fuzz: 300 malformed requests, each answered in time, no crash, memory bounded, still serving", async () => {
    const rng = fuzzRng("binance");
    const rss0 = process.memoryUsage().rss;
    const paths = ["/api/v3/depth", "/api/v3/time", "/stream", "/ws/btcusdt@trade", "/", "/api/v3/depth/"];
    for (let i = 0; i < 300; i++) {
      const outcome =
        i % 10 === 9
          ? await sendRaw({
              port,
              bytes: Buffer.concat([Buffer.from(`${randomMethod(rng)} /${randomText(rng, 20)}`), randomBytes(rng, 200)])
            })
          : await send({
              port,
              req: {
                method: randomMethod(rng),
                path: rng.pick(paths) + randomQuery(rng, ["symbol", "limit", "streams"]),
                headers: rng.bernoulli(0.3)
                  ? {
                      upgrade: "websocket",
                      connection: "Upgrade",
                      "x-fuzz": randomText(rng, 20).replace(/[^\x20-\x7e]/g, "")
                    }
                  : {},
                body: rng.bernoulli(0.3) ? randomBytes(rng, 4096) : undefined
              }
            });
      expect(outcome.ms, `request ${i}`).toBeLessThan(2000);
      expect(outcome.status, `request ${i}`).not.toBe(-1);
      if (typeof outcome.status === "number" && outcome.status >= 500)
        throw new Error(`request ${i}: ${outcome.status}`);
    }
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 2 ** 20);
    expect((await get("/api/v3/depth?symbol=BTCUSDT&limit=10")).status).toBe(200);
  }, 60_000);
});
