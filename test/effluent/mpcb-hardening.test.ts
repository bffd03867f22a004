import {existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {connect} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {constants, deflateRawSync} from "node:zlib";
import JSZip from "jszip";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {parseArgs} from "../../cli/verb.js";
import {serveVerb} from "../../cli/verbs/serve.js";
import {MAX_FUTURE_SKEW_MS, mpcbAuthHeaders} from "../../src/lib/effluent/mpcb-auth.js";
import {MPCB_COLUMNS} from "../../src/lib/effluent/mpcb-columns.js";
import {startMpcbServer} from "../../src/lib/effluent/mpcb-server.js";
import {fuzzRng, randomBytes, randomMethod, randomQuery, randomText, send} from "../servers/http-fuzz.js";

const NOW = new Date("2024-03-01T04:35:00Z"); // 10:05 IST
const SITE = "CETP-HARD";
const KEY = "hard-secret";
const header = MPCB_COLUMNS.map((c) => `"${c.header}"`).join(",");
const row = (n: number, time: string, {cod = "195", ph = "7.2"}: {cod?: string; ph?: string} = {}) =>
  [n, time, cod, "NA", ph, "NA", "41", "NA", "7.5", "NA"].map((v) => `"${v}"`).join(",");
const BOUNDARY = "----labhardening";
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

const multipart = (zip: Buffer) =>
  Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="upload.zip"\r\nContent-Type: application/zip\r\n\r\n`
    ),
    zip,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`)
  ]);

async function uploadBody(data: string): Promise<Buffer> {
  const zip = new JSZip();
  zip.file("data.csv", data);
  zip.file("metadata.json", JSON.stringify({format: "delimited"}));
  return multipart(await zip.generateAsync({type: "nodebuffer"}));
}

/** A zip by hand: its entries' sizes are what they claim, their CRCs are left at 0. */
function handZip(entries: {name: string; method: 0 | 8; data: Buffer; size: number}[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** About 1 MiB of zip that inflates to 1 GiB of zeros: full-flushed deflate blocks repeated. */
function zipBomb(): Buffer {
  const block = deflateRawSync(Buffer.alloc(2 ** 20), {level: 9, finishFlush: constants.Z_FULL_FLUSH});
  const deflated = Buffer.concat([...Array<Buffer>(1024).fill(block), deflateRawSync(Buffer.alloc(0))]);
  const meta = Buffer.from(JSON.stringify({format: "delimited"}));
  return handZip([
    {name: "metadata.json", method: 0, data: meta, size: meta.length},
    {name: "data.csv", method: 8, data: deflated, size: 2 ** 30}
  ]);
}

type Server = Awaited<ReturnType<typeof startMpcbServer>>;
let tick = 0;
const later = () => new Date(NOW.getTime() + ++tick);

async function post(
  server: Server,
  route: string,
  {body, type = "application/json", headers}: {body: Buffer | string; type?: string; headers?: Record<string, string>}
) {
  const signed = headers ?? mpcbAuthHeaders({siteId: SITE, key: KEY, path: `/MPCBServer/${route}`, body, now: later()});
  const t0 = performance.now();
  const response = await fetch(`${server.url}/${route}`, {
    method: "POST",
    headers: {...signed, "content-type": type},
    body: typeof body === "string" ? body : new Uint8Array(body)
  });
  const json = (await response.json()) as {status: string; statusMessage?: string};
  return {status: response.status, json, ms: performance.now() - t0};
}

let dir: string;
let server: Server;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mpcb-hard-"));
  server = await startMpcbServer({
    inboxDir: join(dir, "inbox"),
    stateDir: join(dir, "state"),
    sites: {[SITE]: KEY},
    now: () => NOW
  });
});
afterAll(() => server.close());

describe("MPCB signatures", () => {
  test("a captured header pair is refused on replay, with another body, and on another route", async () => {
    const body = JSON.stringify({siteId: SITE});
    const headers = mpcbAuthHeaders({siteId: SITE, key: KEY, path: "/MPCBServer/getConfig", body, now: later()});
    expect((await post(server, "getConfig", {body, headers})).status).toBe(200);
    expect((await post(server, "getConfig", {body, headers})).json).toEqual({
      status: "Failed",
      statusMessage: "this signature was already used: sign each request anew"
    });
    const fresh = mpcbAuthHeaders({siteId: SITE, key: KEY, path: "/MPCBServer/getConfig", body, now: later()});
    const forged = JSON.stringify({siteId: SITE, Command: "ConfigFetch"});
    expect((await post(server, "getConfig", {body: forged, headers: fresh})).status).toBe(403);
    expect((await post(server, "uploadConfig", {body, headers: fresh})).status).toBe(403);
    const query = await fetch(`${server.url}/getConfig?x=1`, {method: "POST", headers: fresh, body});
    expect(query.status).toBe(403);
    // The untouched request, never used, still goes through once.
    expect((await post(server, "getConfig", {body, headers: fresh})).status).toBe(200);
  });

  test("a timestamp ahead of the server's clock is refused past a small skew", async () => {
    const body = JSON.stringify({siteId: SITE});
    const at = (ms: number) =>
      mpcbAuthHeaders({siteId: SITE, key: KEY, path: "/MPCBServer/getConfig", body, now: new Date(NOW.getTime() + ms)});
    expect((await post(server, "getConfig", {body, headers: at(14 * 60_000)})).json.statusMessage).toBe(
      "Timestamp is more than 60 s ahead of the server's clock"
    );
    expect((await post(server, "getConfig", {body, headers: at(MAX_FUTURE_SKEW_MS + 1)})).status).toBe(401);
    expect((await post(server, "getConfig", {body, headers: at(30_000)})).status).toBe(200);
  });

  test("there is no default key: the server and the verb refuse to start without one", async () => {
    await expect(startMpcbServer({inboxDir: dir, stateDir: dir, sites: {}})).rejects.toThrow(
      "the MPCB server needs at least one site key"
    );
    const saved = process.env.LAB_MPCB_SITE_KEYS;
    delete process.env.LAB_MPCB_SITE_KEYS;
    try {
      await expect(serveVerb.run(parseArgs(["mpcb", "--port", "0"]))).rejects.toThrow(/no site keys/);
      await expect(serveVerb.run(parseArgs(["mpcb", "--site", "CETP-DEMO:secret"]))).rejects.toThrow(
        "--site no longer takes a secret on the command line (anyone can read it in ps): put it in a file and pass --site-keys-file FILE, or set $LAB_MPCB_SITE_KEYS"
      );
      const empty = join(dir, "empty-keys");
      writeFileSync(empty, "");
      await expect(serveVerb.run(parseArgs(["mpcb", "--site-keys-file", empty]))).rejects.toThrow(/is empty/);
      const bad = join(dir, "bad-keys");
      writeFileSync(bad, "CETP-DEMO\n");
      await expect(serveVerb.run(parseArgs(["mpcb", "--site-keys-file", bad]))).rejects.toThrow(
        `${bad}: every entry must be ID:KEY`
      );
    } finally {
      if (saved !== undefined) process.env.LAB_MPCB_SITE_KEYS = saved;
    }
  });
});

describe("MPCB uploads", () => {
  test("a 1 MiB zip that expands to 1 GiB is refused with 413 quickly, memory stays flat", async () => {
    const body = multipart(zipBomb());
    expect(body.length).toBeLessThan(1.1 * 2 ** 20);
    const rss0 = process.memoryUsage().rss;
    const answer = await post(server, "delayedUpload", {body, type: TYPE});
    expect(answer.status).toBe(413);
    expect(answer.json.statusMessage).toMatch(
      /data\.csv expands past 67108864 bytes, the limit for an upload.s contents/
    );
    const grown = process.memoryUsage().rss - rss0;
    if (process.env.LAB_PRINT_FIGURES)
      console.log(`zip bomb: 413 after ${answer.ms.toFixed(0)} ms, rss +${(grown / 2 ** 20).toFixed(0)} MiB`);
    expect(answer.ms).toBeLessThan(4000);
    expect(grown).toBeLessThan(300 * 2 ** 20);
    const good = await uploadBody([header, row(1, "2024-03-01 09:00")].join("\n"));
    expect((await post(server, "delayedUpload", {body: good, type: TYPE})).status).toBe(200);
  });

  test("a body over the limit gets a 413 answer, not a reset connection", async () => {
    const answer = await post(server, "delayedUpload", {body: Buffer.alloc(25 * 2 ** 20, 1), type: TYPE});
    expect(answer).toMatchObject({
      status: 413,
      json: {status: "Failed", statusMessage: "request body over 20971520 bytes"}
    });
    const json = await post(server, "uploadDiagnosticInfo", {body: "x".repeat(2 * 2 ** 20)});
    expect(json.status).toBe(413);
  });

  test("implausible readings are quarantined with the reason, not stored", async () => {
    const body = await uploadBody(
      [
        header,
        row(1, "2024-03-01 09:30"),
        row(2, "2094-03-01 09:31"),
        row(3, "2024-03-01 09:32", {cod: "-5e300"}),
        row(4, "2024-03-01 09:33", {ph: "99"}),
        row(5, "1999-12-31 23:00")
      ].join("\n")
    );
    const answer = await post(server, "delayedUpload", {body, type: TYPE});
    expect(answer.status).toBe(200);
    expect(answer.json.statusMessage).toBe(
      "file uploaded successfully. 1 readings stored. 4 quarantined as implausible (line 3: stamped 2094-03-01T04:01:00.000Z, more than a day after the server's clock; …)."
    );
    const stored = readFileSync(join(dir, "inbox", SITE, "cetp_mpcb_export.csv"), "utf-8");
    expect(stored).toContain('"2024-03-01 09:30"');
    expect(stored).not.toMatch(/2094|-5e\+300|"99"|1999/);
    const quarantined = readFileSync(join(dir, "state", `${SITE}-quarantine.jsonl`), "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as {line: number; reason: string});
    expect(quarantined.map((q) => [q.line, q.reason])).toEqual([
      [3, "stamped 2094-03-01T04:01:00.000Z, more than a day after the server's clock"],
      [4, "inlet_cod -5e+300 is negative"],
      [5, "inlet_ph 99 is outside 0–14"],
      [6, "stamped 1999-12-31T17:30:00.000Z, before 2000-01-01T00:00:00.000Z"]
    ]);
  });

  test("per-site quotas: past them, uploads and diagnostics get a 507 saying so", async () => {
    const small = await startMpcbServer({
      inboxDir: join(dir, "quota-inbox"),
      stateDir: join(dir, "quota-state"),
      sites: {[SITE]: KEY},
      now: () => NOW,
      quota: {uploadBytes: 600, diagnosticsBytes: 700}
    });
    try {
      const rows = (from: number) =>
        [header, ...Array.from({length: 3}, (_, i) => row(i + 1, `2024-03-01 0${from}:0${i}`))].join("\n");
      expect((await post(small, "delayedUpload", {body: await uploadBody(rows(1)), type: TYPE})).status).toBe(200);
      const full = await post(small, "delayedUpload", {body: await uploadBody(rows(2)), type: TYPE});
      expect(full.status).toBe(507);
      expect(full.json.statusMessage).toMatch(
        /^site CETP-HARD has \d+ bytes stored, and this upload would pass its quota of 600$/
      );
      const diagnostics = JSON.stringify({
        Command: "DiagnosticFetch",
        siteId: SITE,
        diagnosticJson: [{a: "x".repeat(200)}]
      });
      expect((await post(small, "uploadDiagnosticInfo", {body: diagnostics})).status).toBe(200);
      expect((await post(small, "uploadDiagnosticInfo", {body: diagnostics})).status).toBe(200);
      expect((await post(small, "uploadDiagnosticInfo", {body: diagnostics})).json.statusMessage).toBe(
        "site CETP-HARD's stored diagnostics would pass their quota of 700 bytes"
      );
      expect(readFileSync(join(dir, "quota-state", `${SITE}-diagnostics.jsonl`), "utf-8").length).toBeLessThanOrEqual(
        700
      );
    } finally {
      await small.close();
    }
  });
});

describe("MPCB limits", () => {
  test("requests past the concurrency limit get a 503 at once; a client that goes away frees its slot", async () => {
    const busy = await startMpcbServer({
      inboxDir: join(dir, "busy-inbox"),
      stateDir: join(dir, "busy-state"),
      sites: {[SITE]: KEY},
      now: () => NOW,
      maxConcurrentRequests: 1
    });
    try {
      const port = Number(new URL(busy.url).port);
      const headers = mpcbAuthHeaders({siteId: SITE, key: KEY, path: "/MPCBServer/getConfig", body: "x", now: later()});
      // A slow client: valid-looking headers, a body that never finishes.
      const slow = connect(port, "127.0.0.1");
      await new Promise((r) => slow.once("connect", r));
      slow.write(
        `POST /MPCBServer/getConfig HTTP/1.1\r\nHost: x\r\nAuthorization: ${headers.Authorization}\r\nTimestamp: ${headers.Timestamp}\r\nContent-Length: 100\r\n\r\n{"si`
      );
      await new Promise((r) => setTimeout(r, 100));
      const body = JSON.stringify({siteId: SITE});
      const refused = await post(busy, "getConfig", {body});
      expect(refused.status).toBe(503);
      expect(refused.json.statusMessage).toBe("busy: 1 requests in progress; retry shortly");
      slow.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect((await post(busy, "getConfig", {body})).status).toBe(200);
    } finally {
      await busy.close();
    }
  });
});

describe("MPCB fuzz", () => {
  test("300 malformed requests: each answered in time, no crash, memory bounded, still serving", async () => {
    const rng = fuzzRng("mpcb");
    const port = Number(new URL(server.url).port);
    const routes = ["realtimeUpload", "delayedUpload", "getConfig", "uploadConfig", "uploadDiagnosticInfo", "nowhere"];
    const goodZip = await new JSZip()
      .file("data.csv", [header, row(1, "2024-03-01 09:40")].join("\n"))
      .file("metadata.json", '{"format":"delimited"}')
      .generateAsync({type: "nodebuffer"});
    const bodies = [
      () => randomBytes(rng, 2048),
      () => multipart(goodZip.subarray(0, rng.int(0, goodZip.length))), // truncated zip
      () => {
        const z = Buffer.from(goodZip);
        for (let i = rng.int(1, 20); i > 0; i--) z[rng.int(0, z.length - 1)] = rng.int(0, 255);
        return multipart(z); // corrupted zip
      },
      () => multipart(randomBytes(rng, 4096)), // garbage zip
      () =>
        Buffer.from(
          JSON.stringify({
            siteId: rng.bernoulli(0.5) ? SITE : randomText(rng),
            Command: randomText(rng, 12),
            diagnosticJson: rng.bernoulli(0.5) ? [] : randomText(rng)
          })
        ),
      () =>
        Buffer.from(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${randomText(rng, 10)}"\r\n\r\n${randomText(rng, 200)}`
        )
    ];
    const rss0 = process.memoryUsage().rss;
    let signedOk = 0;
    for (let i = 0; i < 300; i++) {
      const route = rng.pick(routes);
      const path = `/MPCBServer/${route}${rng.bernoulli(0.2) ? randomQuery(rng, ["siteId", "x"]) : ""}`;
      const body = rng.pick(bodies)();
      const method = rng.bernoulli(0.8) ? "POST" : randomMethod(rng);
      const mode = rng.int(0, 3);
      const headers: Record<string, string> = {"content-type": rng.bernoulli(0.6) ? TYPE : "application/json"};
      if (mode === 0)
        Object.assign(headers, mpcbAuthHeaders({siteId: SITE, key: KEY, method, path, body, now: later()}));
      else if (mode === 1)
        Object.assign(headers, mpcbAuthHeaders({siteId: SITE, key: "wrong", method, path, body, now: later()}));
      else if (mode === 2)
        Object.assign(headers, {
          authorization: `${randomText(rng, 10)}:${randomText(rng, 4)}:${randomText(rng, 64)}`.replace(
            /[^\x20-\x7e]/g,
            ""
          ),
          timestamp: randomText(rng, 30).replace(/[^\x20-\x7e]/g, "")
        });
      const outcome = await send({port, req: {method, path, headers, body}});
      expect(outcome.ms, `request ${i}`).toBeLessThan(3000);
      expect(typeof outcome.status === "number" && outcome.status >= 200, `request ${i}: ${outcome.status}`).toBe(true);
      expect(outcome.status, `request ${i}`).not.toBe(500);
      if (method !== "HEAD") expect(outcome.json, `request ${i}: ${method} ${outcome.status}`).toBe(true);
      // Signed requests reach the handlers: uploads and JSON routes parse the malformed bodies.
      if (mode === 0 && method === "POST" && route !== "nowhere" && ![401, 403].includes(outcome.status as number))
        signedOk++;
    }
    expect(signedOk).toBeGreaterThan(30);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 2 ** 20);
    const good = await uploadBody([header, row(1, "2024-03-01 09:50")].join("\n"));
    expect((await post(server, "delayedUpload", {body: good, type: TYPE})).status).toBe(200);
    expect(existsSync(join(dir, "inbox", SITE, "cetp_mpcb_export.csv"))).toBe(true);
  }, 60_000);
});
