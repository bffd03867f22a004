import {afterAll, beforeAll, describe, expect, test} from "vitest";
import WebSocket from "ws";
import {parseFrom, startAmiFeed} from "../../src/lib/meters/feed-server.js";
import {secretsEqual} from "../../src/lib/core/secret.js";
import {fuzzRng, randomBytes, randomMethod, randomQuery, randomText, send, sendRaw} from "../servers/http-fuzz.js";

const START = new Date("2024-06-02T18:30:00Z");
const TOKEN = "feed-token";

/** Connects and resolves with the HTTP refusal (status and body) or the first message. */
function connect(
  url: string
): Promise<{status: number; body: string} | {message: Record<string, unknown>; ms: number}> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({status: res.statusCode ?? 0, body}));
    });
    ws.on("message", (data) => {
      resolve({message: JSON.parse(String(data)), ms: performance.now() - t0});
      ws.close();
    });
    ws.on("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe("AMI feed hardening", () => {
  let feed: Awaited<ReturnType<typeof startAmiFeed>>;
  beforeAll(async () => {
    feed = await startAmiFeed({
      token: TOKEN,
      ratePerSecond: 10_000,
      meters: 4000,
      days: 1,
      pattern: "UNIFORM",
      seed: 1,
      start: START
    });
  });
  afterAll(() => feed.close());

  test("a malformed from is a 400 with a JSON reason, not reading 0", async () => {
    for (const from of ["abc", "-3", "1.5", "1e3", "", "99999999999999999999"])
      expect(await connect(`${feed.url}?token=${TOKEN}&from=${from}`)).toEqual({
        status: 400,
        body: JSON.stringify({error: `from must be a reading offset (a non-negative integer), got "${from}"`})
      });
    expect(parseFrom("42")).toEqual({ok: true, from: 42});
    expect(parseFrom(null)).toEqual({ok: true, from: 0});
  });

  test("the token is checked (any length, constant time) and a wrong one is a 401", async () => {
    for (const token of ["", "x", "feed-tokeN", "feed-token-and-more"])
      expect(await connect(`${feed.url}?token=${encodeURIComponent(token)}`)).toMatchObject({status: 401});
    expect(secretsEqual({given: "abc", expected: "abc"})).toBe(true);
    expect(secretsEqual({given: "abd", expected: "abc"})).toBe(false);
    expect(secretsEqual({given: "ab", expected: "abc"})).toBe(false);
    await expect(
      startAmiFeed({token: "", ratePerSecond: 1, meters: 1, days: 1, pattern: "UNIFORM", seed: 1})
    ).rejects.toThrow("the AMI feed needs a token");
  });

  test("five clients resuming far past the end do not hold up another client's first batch", async () => {
    const alone = (await connect(`${feed.url}?token=${TOKEN}&from=0`)) as {ms: number};
    const far = Array.from({length: 5}, () => connect(`${feed.url}?token=${TOKEN}&from=1000000000000000`));
    const other = await connect(`${feed.url}?token=${TOKEN}&from=0`);
    expect(other).toMatchObject({message: {type: "batch", offset: 0}});
    // Skipping 4,000 meters' day takes about 2 s of CPU per client; when each skip held the event
    // loop, the first batch waited for all five. Now it waits at most a few slices, each bounded
    // by one interval's generation for the whole fleet.
    const ms = (other as {ms: number}).ms;
    if (process.env.LAB_PRINT_FIGURES)
      console.log(`first batch alone ${alone.ms.toFixed(0)} ms, beside five resumes ${ms.toFixed(0)} ms`);
    expect(ms, `first batch alone ${alone.ms} ms`).toBeLessThan(1000);
    const ends = await Promise.all(far);
    const total = (ends[0] as unknown as {message: {total: number}}).message.total;
    expect(total).toBeGreaterThan(300_000);
    for (const end of ends) expect(end).toMatchObject({message: {type: "end", total}});
    // Once the length is known, a resume past it ends at once.
    const again = await connect(`${feed.url}?token=${TOKEN}&from=5000000`);
    expect(again).toMatchObject({message: {type: "end", total}});
    expect((again as {ms: number}).ms).toBeLessThan(200);
  }, 60_000);

  test("a resume mid-stream starts at the asked offset", async () => {
    expect(await connect(`${feed.url}?token=${TOKEN}&from=12345`)).toMatchObject({
      message: {type: "batch", offset: 12345}
    });
  });

  test("fuzz: 300 malformed requests and upgrades, each answered in time, no crash, memory bounded, still serving", async () => {
    const rng = fuzzRng("ami");
    const port = Number(new URL(feed.url).port);
    const rss0 = process.memoryUsage().rss;
    const statuses = new Map<number | string, number>();
    for (let i = 0; i < 300; i++) {
      const token = rng.bernoulli(0.5) ? TOKEN : randomText(rng, 12);
      const query = `?token=${encodeURIComponent(token)}&from=${encodeURIComponent(rng.bernoulli(0.5) ? String(rng.int(0, 400_000)) : randomText(rng, 8))}${randomQuery(rng, ["from", "token"])}`;
      const upgrade = rng.bernoulli(0.8);
      const outcome =
        i % 10 === 9
          ? await sendRaw({
              port,
              bytes: Buffer.concat([
                Buffer.from(`GET /ami${query} HTTP/1.1\r\nUpgrade: websocket\r\n`),
                randomBytes(rng, 300)
              ])
            })
          : await send({
              port,
              req: {
                method: upgrade ? "GET" : randomMethod(rng),
                path: (rng.bernoulli(0.8) ? "/ami" : `/${randomText(rng, 10).replace(/[^\x21-\x7e]/g, "")}`) + query,
                headers: upgrade
                  ? {
                      connection: "Upgrade",
                      upgrade: "websocket",
                      "sec-websocket-version": rng.bernoulli(0.8)
                        ? "13"
                        : randomText(rng, 3).replace(/[^\x21-\x7e]/g, ""),
                      "sec-websocket-key": rng.bernoulli(0.8) ? "dGhlIHNhbXBsZSBub25jZQ==" : "x"
                    }
                  : {},
                body: rng.bernoulli(0.2) ? randomBytes(rng, 1024) : undefined
              }
            });
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      expect(outcome.ms, `request ${i}`).toBeLessThan(2000);
      expect(outcome.status, `request ${i}`).not.toBe(-1);
    }
    // The pass reached every answer: accepted streams, bad offsets, bad tokens.
    expect(
      [101, 400, 401].every((s) => statuses.has(s)),
      JSON.stringify([...statuses])
    ).toBe(true);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 2 ** 20);
    expect(await connect(`${feed.url}?token=${TOKEN}&from=7`)).toMatchObject({message: {type: "batch", offset: 7}});
  }, 90_000);
});
