import {createHash} from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs";
import {createServer, type Server} from "node:http";
import type {AddressInfo} from "node:net";
import {tmpdir} from "node:os";
import {dirname, join, resolve, sep} from "node:path";
import {afterAll, beforeAll, describe, expect, test, vi} from "vitest";
import {acquireVerb} from "../../../cli/verbs/acquire.js";
import {parseArgs} from "../../../cli/verb.js";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {quoteString} from "../../../src/lib/core/sql.js";
import {acquireMarketData, acquireMarkdown, type AcquireReport} from "../../../src/lib/market/history/acquire.js";
import {simulateMarketFiles} from "../../../src/lib/market/pipeline.js";

interface Manifest {
  files: {path: string; rows: number; sha256: string}[];
}

const root = mkdtempSync(join(tmpdir(), "acquire-"));
const lake = join(root, "lake");
const FULL = "2024-03-01";
const PARTIAL = "2024-03-02";
const TABLES = ["trades", "book", "book_delta_v2"] as const;
const dayDir = (table: string, day: string) => `${table}/exchange=BINANCE/symbol=BTC-USDT/dt=${day}`;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const walk = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]
      )
    : [];
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf-8")) as Manifest;
const writeManifest = (dir: string, manifest: Manifest) =>
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 1));
const day = (report: AcquireReport, table: string, d: string) =>
  report.days.find((x) => x.table === table && x.day === d)!;
/** A copy of the lake to damage in one test without touching the others. */
const variant = (name: string) => {
  const dir = join(root, name);
  cpSync(lake, dir, {recursive: true});
  return dir;
};
let server: Server;
let base: string;

beforeAll(async () => {
  // Three simulated minutes, stretched linearly in SQL over 00:00–23:59:59.999 of 2024-03-01 (a
  // complete day) and over 00:00–09:00 of 2024-03-02 (a partial one), in the Crypto Lake layout.
  const sim = await simulateMarketFiles({outDir: join(root, "sim"), seed: 5, minutes: 3, live: false});
  const duck = await openDuckDB();
  const manifest: Manifest = {files: []};
  const add = async (path: string) => {
    const {n} = await duck.one<{n: bigint}>(`SELECT count(*) AS n FROM read_parquet(${quoteString(join(lake, path))})`);
    manifest.files.push({path, rows: Number(n), sha256: sha(join(lake, path))});
  };
  try {
    for (const [table, file] of [
      ["trades", sim.trades],
      ["book", sim.book],
      ["book_delta_v2", sim.deltas]
    ] as const) {
      for (const [d, spanNs] of [
        [FULL, 86_399_999_000_000],
        [PARTIAL, 9 * 3600e9]
      ] as const) {
        mkdirSync(join(lake, dayDir(table, d)), {recursive: true});
        const start = BigInt(Date.parse(`${d}T00:00:00Z`)) * 1_000_000n;
        const map = (c: string) =>
          `make_timestamp_ns(${start} + (((epoch_us(${c}) - b.lo)::DOUBLE / (b.hi - b.lo)) * ${spanNs})::BIGINT)`;
        const stretched = `SELECT s.* EXCLUDE (file_row_number) REPLACE (${map("origin_time")} AS origin_time, ${map("received_time")} AS received_time)
          FROM read_parquet(${quoteString(file)}, file_row_number = true) s,
               (SELECT min(epoch_us(origin_time)) AS lo, max(epoch_us(origin_time)) AS hi FROM read_parquet(${quoteString(file)})) b
          ORDER BY s.file_row_number`;
        if (table === "trades" && d === FULL) {
          // A day split over two files: the morning and the rest.
          for (const [name, where] of [
            ["1", "<"],
            ["2", ">="]
          ] as const) {
            const path = `${dayDir(table, d)}/${name}.parquet`;
            await duck.run(
              `COPY (SELECT * FROM (${stretched}) WHERE origin_time ${where} TIMESTAMP '${d} 12:00:00') TO ${quoteString(join(lake, path))} (FORMAT parquet)`
            );
            await add(path);
          }
        } else {
          const path = `${dayDir(table, d)}/1.parquet`;
          await duck.run(`COPY (${stretched}) TO ${quoteString(join(lake, path))} (FORMAT parquet)`);
          await add(path);
        }
      }
    }
  } finally {
    duck.close();
  }
  writeManifest(lake, manifest);

  // A static file server over `root` (files only; 404 otherwise), on loopback.
  server = createServer((req, res) => {
    const path = resolve(root, `.${decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname)}`);
    if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile())
      return void res.writeHead(404, "Not Found").end();
    res.writeHead(200, {"content-type": "application/octet-stream"}).end(readFileSync(path));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  rmSync(root, {recursive: true, force: true});
});

describe("lab acquire market", () => {
  test("a local folder: the complete day lands byte for byte, the 9-hour day is refused and leaves nothing; a second run finds the files present", async () => {
    const inbox = join(root, "inbox-local");
    const report = await acquireMarketData({from: lake, inbox});
    for (const table of TABLES) {
      expect(day(report, table, FULL)).toMatchObject({status: "ACCEPTED", reasons: [], warnings: []});
      expect(day(report, table, FULL).coverage).toBeGreaterThan(0.999);
      expect(day(report, table, FULL).files.every((f) => f.state === "copied")).toBe(true);
      expect(day(report, table, PARTIAL).status).toBe("REFUSED");
      expect(day(report, table, PARTIAL).reasons.join("\n")).toContain(
        `covers only 37.5% of ${PARTIAL} (00:00:00–09:00:00)`
      );
      expect(existsSync(join(inbox, dayDir(table, PARTIAL)))).toBe(false);
    }
    expect(day(report, "trades", FULL).files.map((f) => f.path)).toEqual([
      `${dayDir("trades", FULL)}/1.parquet`,
      `${dayDir("trades", FULL)}/2.parquet`
    ]);
    for (const entry of readManifest(lake).files.filter((f) => f.path.includes(FULL)))
      expect(readFileSync(join(inbox, entry.path)).equals(readFileSync(join(lake, entry.path)))).toBe(true);
    expect(walk(inbox).filter((f) => f.includes(PARTIAL) || f.includes(".tmp"))).toEqual([]);
    expect(walk(inbox)).toHaveLength(4);
    expect(report).toMatchObject({accepted: 3, refused: 3});
    expect(acquireMarkdown(report)).toMatch(/3 day\(s\) accepted, 3 refused; 4 file\(s\) copied, 0 already present/);

    const again = await acquireMarketData({from: lake, inbox});
    for (const table of TABLES) {
      expect(day(again, table, FULL).status).toBe("ACCEPTED");
      expect(day(again, table, FULL).files.every((f) => f.state === "present")).toBe(true);
    }
    expect(acquireMarkdown(again)).toMatch(/0 file\(s\) copied, 4 already present/);
    expect(walk(inbox).filter((f) => f.includes(".tmp"))).toEqual([]);
  }, 30_000);

  test("a flipped byte is refused on its checksum", async () => {
    const src = variant("lake-corrupt");
    const file = join(src, `${dayDir("book", FULL)}/1.parquet`);
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(file, bytes);
    const inbox = join(root, "inbox-corrupt");
    const report = await acquireMarketData({from: src, inbox, toDate: FULL});
    expect(day(report, "book", FULL).status).toBe("REFUSED");
    expect(day(report, "book", FULL).reasons.join("\n")).toMatch(
      new RegExp(
        `${dayDir("book", FULL)}/1\\.parquet: checksum mismatch: the manifest says sha256 ${sha(join(lake, `${dayDir("book", FULL)}/1.parquet`))}, the file has ${sha(file)}`
      )
    );
    expect(day(report, "trades", FULL).status).toBe("ACCEPTED");
    expect(existsSync(join(inbox, dayDir("book", FULL)))).toBe(false);
    expect(walk(inbox).filter((f) => f.includes(".tmp"))).toEqual([]);
  }, 30_000);

  test("a row count that disagrees with the manifest is refused, naming both counts", async () => {
    const src = variant("lake-rows");
    const manifest = readManifest(src);
    const entry = manifest.files.find((f) => f.path === `${dayDir("book_delta_v2", FULL)}/1.parquet`)!;
    const actual = entry.rows;
    entry.rows = actual + 7;
    writeManifest(src, manifest);
    const report = await acquireMarketData({from: src, inbox: join(root, "inbox-rows"), toDate: FULL});
    expect(day(report, "book_delta_v2", FULL).status).toBe("REFUSED");
    expect(day(report, "book_delta_v2", FULL).reasons.join("\n")).toContain(
      `the manifest says ${(actual + 7).toLocaleString("en-US")} rows, the file has ${actual.toLocaleString("en-US")}`
    );
    expect(existsSync(join(root, "inbox-rows", dayDir("book_delta_v2", FULL)))).toBe(false);
  }, 30_000);

  test("a file without a required column is refused, naming the column and the file", async () => {
    const src = variant("lake-column");
    const path = `${dayDir("trades", FULL)}/2.parquet`;
    const duck = await openDuckDB();
    try {
      await duck.run(
        `COPY (SELECT * EXCLUDE (side) FROM read_parquet(${quoteString(join(lake, path))})) TO ${quoteString(join(src, path))} (FORMAT parquet)`
      );
    } finally {
      duck.close();
    }
    const manifest = readManifest(src);
    manifest.files.find((f) => f.path === path)!.sha256 = sha(join(src, path));
    writeManifest(src, manifest);
    const inbox = join(root, "inbox-column");
    const report = await acquireMarketData({from: src, inbox, toDate: FULL, tables: ["trades"]});
    expect(report.days).toHaveLength(1);
    expect(day(report, "trades", FULL).status).toBe("REFUSED");
    expect(day(report, "trades", FULL).reasons.join("\n")).toContain(`${path}: missing column(s) side`);
    // The day is refused as a whole: not even its good morning file is kept.
    expect(walk(inbox)).toEqual([]);
  }, 30_000);

  test("a day with book but no book_delta_v2 is accepted with a warning", async () => {
    const src = variant("lake-no-deltas");
    rmSync(join(src, dayDir("book_delta_v2", FULL)), {recursive: true});
    const manifest = readManifest(src);
    manifest.files = manifest.files.filter((f) => !f.path.startsWith(dayDir("book_delta_v2", FULL)));
    writeManifest(src, manifest);
    const report = await acquireMarketData({from: src, inbox: join(root, "inbox-no-deltas"), toDate: FULL});
    expect(report.days.map((d) => d.status)).toEqual(["ACCEPTED", "ACCEPTED"]);
    expect(day(report, "book", FULL).warnings.join("\n")).toMatch(
      /book_delta_v2 missing for BINANCE BTC-USDT on 2024-03-01/
    );
  }, 30_000);

  test("an HTTP source is read through its manifest; a listed file answering 404 refuses its day; without a manifest it says so", async () => {
    const inbox = join(root, "inbox-http");
    const report = await acquireMarketData({from: `${base}lake/`, inbox, toDate: FULL});
    expect(report.days.map((d) => d.status)).toEqual(["ACCEPTED", "ACCEPTED", "ACCEPTED"]);
    for (const entry of readManifest(lake).files.filter((f) => f.path.includes(FULL)))
      expect(readFileSync(join(inbox, entry.path)).equals(readFileSync(join(lake, entry.path)))).toBe(true);
    const again = await acquireMarketData({from: `${base}lake`, inbox, toDate: FULL});
    expect(again.days.flatMap((d) => d.files).every((f) => f.state === "present")).toBe(true);

    const gone = variant("lake-404");
    const lost = `${dayDir("book", FULL)}/2.parquet`;
    const manifest = readManifest(gone);
    manifest.files.push({path: lost, rows: 10, sha256: "0".repeat(64)});
    writeManifest(gone, manifest);
    const inbox404 = join(root, "inbox-404");
    const partial = await acquireMarketData({from: `${base}lake-404/`, inbox: inbox404, toDate: FULL});
    expect(day(partial, "book", FULL).status).toBe("REFUSED");
    expect(day(partial, "book", FULL).reasons.join("\n")).toContain(`${base}lake-404/${lost}: HTTP 404`);
    expect(day(partial, "trades", FULL).status).toBe("ACCEPTED");
    expect(existsSync(join(inbox404, dayDir("book", FULL)))).toBe(false);
    expect(walk(inbox404).filter((f) => f.includes(".tmp"))).toEqual([]);

    const bare = variant("lake-bare");
    rmSync(join(bare, "manifest.json"));
    await expect(acquireMarketData({from: `${base}lake-bare/`, inbox: join(root, "inbox-bare")})).rejects.toThrow(
      /an HTTP source needs a manifest\.json listing its files, since HTTP has no directory listing/
    );
    // The same folder read locally is listed by walking it.
    const local = await acquireMarketData({from: bare, inbox: join(root, "inbox-bare"), toDate: FULL});
    expect(local.days.map((d) => d.status)).toEqual(["ACCEPTED", "ACCEPTED", "ACCEPTED"]);
  }, 30_000);

  test("the verb exits 0 when every selected day is accepted and 1 when one is refused", async () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const inbox = join(root, "inbox-cli");
      expect(await acquireVerb.run(parseArgs(["market", "--from", lake, "--inbox", inbox, "--to-date", FULL]))).toBe(0);
      expect(
        await acquireVerb.run(parseArgs(["market", "--from", lake, "--inbox", inbox, "--symbol", "BTC-USDT"]))
      ).toBe(1);
      expect(out.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(
        /\| REFUSED \| trades \| BINANCE \| BTC-USDT \| 2024-03-02 \|/
      );
      expect(existsSync(join(inbox, dayDir("trades", FULL), "1.parquet"))).toBe(true);
    } finally {
      out.mockRestore();
    }
  }, 30_000);
});
