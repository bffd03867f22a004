import {createHash} from "node:crypto";
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {runNode, startNode} from "../run-node.js";

const root = resolve(import.meta.dirname, "../..");
const lab = (...args: string[]) =>
  runNode(["--import", "tsx", "cli/lab.ts", ...args], {
    cwd: root,
    timeoutMs: 60_000,
    env: {...process.env, LAB_DEBUG: ""}
  });

/** Every file under `dir` (recursively) with the SHA-256 of its bytes. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, {withFileTypes: true, recursive: true}))
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out[path.slice(dir.length + 1)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  return out;
}

// A folder name with an apostrophe and a space: paths must reach DuckDB's SQL quoted.
const base = mkdtempSync(join(tmpdir(), "lab-cli-"));
const awkward = join(base, "it's a dir");
mkdirSync(awkward);

describe("lab refuses flags it does not know and numbers out of bounds", () => {
  it("names a typo'd flag and suggests the real one, running nothing", async () => {
    const out = join(base, "typo");
    const r = await lab("run", "kpi", "--event", "x.csv", "--out", out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("lab run: unknown flag --event; did you mean --events?");
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [["--days", "-1"], '--days must be a whole number of at least 1, got "-1"'],
    [["--days", "0"], '--days must be a whole number of at least 1, got "0"'],
    [["--meters", "1.5"], '--meters must be a whole number from 1 to 100000, got "1.5"']
  ])("meters %j", async (flags, message) => {
    const out = join(base, `meters${flags.join("")}`);
    const r = await lab("run", "meters", ...flags, "--out", out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("INTERNAL");
    expect(existsSync(out)).toBe(false);
  });

  it("a meters spec with days 0 is refused by name, not run into empty tables", async () => {
    const spec = join(base, "fleet.sim.json");
    writeFileSync(spec, JSON.stringify({meters: 5, days: 0}));
    const out = join(base, "meters-spec");
    const r = await lab("run", "meters", spec, "--out", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('fleet.sim.json:days: "days" must be a whole number of at least 1, got 0');
    expect(existsSync(out)).toBe(false);
  });

  it("checks other verbs' flags too", async () => {
    const r = await lab("feed", "ami", "--port", "70000");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--port must be a whole number from 0 to 65535, got "70000"');
    const s = await lab("status", "--jsno");
    expect(s.stderr).toContain("unknown flag --jsno; did you mean --json?");
  });
});

describe("lab run replaces --out whole, only when the run succeeded", () => {
  it("kpi: a later run leaves no stale table, and a failed run leaves the old set byte-identical", async () => {
    const out = join(awkward, "kpi out");
    const sim = await lab("run", "kpi", "--simulate", "--days", "40", "--out", out);
    expect(sim.stderr).toBe("");
    expect(sim.status).toBe(0);
    expect(existsSync(join(out, "kpi_truth.parquet"))).toBe(true);
    const events = join(awkward, "events.csv");
    writeFileSync(
      events,
      [
        "source,ts,metric,value",
        ...Array.from({length: 30}, (_, i) => `a,2024-01-${String(i + 1).padStart(2, "0")}T00:00:00Z,m,${i}`)
      ].join("\n")
    );
    const real = await lab("run", "kpi", "--events", events, "--out", out);
    expect(real.status).toBe(0);
    // The simulated run's truth is gone: the folder holds this run's tables only.
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith(".parquet"))
        .sort()
    ).toEqual([
      "anomalies.parquet",
      "clean_events.parquet",
      "forecasts.parquet",
      "metric_daily.parquet",
      "quarantine.parquet",
      "reliability.parquet"
    ]);
    const before = hashes(out);
    const bad = join(awkward, "bad.csv");
    writeFileSync(bad, "source,ts,metric,value\na,2024-01-01T00:00:00Z,m,1\na,2024-01-02T00:00:00Z,m,oops\n");
    const failed = await lab("run", "kpi", "--strict", "--events", bad, "--out", out);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('bad.csv:3:value: not a number: "oops"');
    expect(hashes(out)).toEqual(before);
    expect(readdirSync(awkward).sort()).toEqual(["bad.csv", "events.csv", "kpi out"]);
  }, 60_000);

  describe("market", () => {
    const sim = join(awkward, "sim");
    const history = (name: string) => join(sim, "history", `${name}.parquet`);
    beforeAll(async () => {
      const r = await lab("simulate", "market", "--minutes", "1", "--out", sim);
      expect(r.stderr).toBe("");
    }, 60_000);

    it("a replay that fails after its assessment leaves the previous outputs untouched", async () => {
      const out = join(awkward, "market out");
      const good = await lab(
        "run",
        "market",
        "--trades",
        history("trades"),
        "--book",
        history("book"),
        "--deltas",
        history("book_delta_v2"),
        "--out",
        out
      );
      expect(good.stderr).toBe("");
      expect(good.status).toBe(0);
      expect(readdirSync(out)).toContain("market_events");
      expect(existsSync(`${out}.partial`)).toBe(false);
      const before = hashes(out);
      // No deltas, and the full replay asked for: it refuses to start.
      const failed = await lab(
        "run",
        "market",
        "--trades",
        history("trades"),
        "--book",
        history("book"),
        "--strategy",
        "full_event_replay",
        "--out",
        out
      );
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain("strategy full_event_replay needs the deltas input");
      expect(hashes(out)).toEqual(before);
      // Bad input leaves nothing to resume from.
      expect(existsSync(`${out}.partial`)).toBe(false);
    }, 60_000);
    it("a killed replay stays in <out>.partial and --resume finishes it from its checkpoint", async () => {
      const out = join(awkward, "resumed out");
      const args = ["run", "market", "--trades", history("trades"), "--book", history("book")];
      const files = [...args, "--deltas", history("book_delta_v2"), "--segment-events", "2000", "--out", out];
      const run = startNode(["--import", "tsx", "cli/lab.ts", ...files], {cwd: root, timeoutMs: 60_000});
      const segments = join(`${out}.partial`, "segments");
      const done = () =>
        existsSync(segments) ? readdirSync(segments).filter((f) => f.endsWith(".done.json")).length : 0;
      while (done() < 2) await new Promise((r) => setTimeout(r, 5));
      run.kill();
      const killed = await run.done;
      expect(killed.signal).toBe("SIGKILL");
      expect(existsSync(out)).toBe(false);
      // Another strategy: refused, saying what differs, and the checkpoint stays as it was.
      const partial = hashes(`${out}.partial`);
      const refused = await lab(...files, "--strategy", "origin_time_sort", "--resume");
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("--resume refused");
      expect(refused.stderr).toContain("strategy: full_event_replay in the checkpoint, origin_time_sort now");
      expect(hashes(`${out}.partial`)).toEqual(partial);
      const resumed = await lab(...files, "--resume");
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/resuming after segment \d+/);
      expect(resumed.stdout).toContain("26,511 events");
      expect(readdirSync(out)).toContain("market_events");
      expect(existsSync(`${out}.partial`)).toBe(false);
    }, 60_000);

    it("lab assess --out keeps the previous report when the inputs are bad", async () => {
      const out = join(awkward, "assess out");
      const good = await lab("assess", "--book", history("book"), "--out", out);
      expect(good.status).toBe(0);
      const before = hashes(out);
      expect(Object.keys(before).sort()).toEqual(["assessment.json", "assessment.md"]);
      const bad = join(base, "bad-trades.csv");
      writeFileSync(bad, "origin_time,received_time,trade_id,side,price,quantity\nnot-a-time,x,1,buy,abc,1\n");
      const failed = await lab("assess", "--book", history("book"), "--trades", bad, "--out", out);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain("origin_time is VARCHAR in the trades table");
      expect(hashes(out)).toEqual(before);
      expect(readdirSync(out).sort()).toEqual(["assessment.json", "assessment.md"]);
    }, 60_000);
  });
});

describe("lab reports broken inputs in one line, never a stack trace", () => {
  it("a missing file and a truncated Parquet file", async () => {
    const missing = await lab("run", "kpi", "--events", join(base, "nope.csv"), "--out", join(base, "missing"));
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`lab run: ${join(base, "nope.csv")}: no such file or folder`);

    const sim = join(base, "sim");
    const made = await lab("simulate", "market", "--seed", "1", "--minutes", "1", "--out", sim);
    expect(made.status).toBe(0);
    const trades = join(sim, "history", "trades.parquet");
    const cut = join(base, "cut-trades.parquet");
    const bytes = readFileSync(trades);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await lab(
      "run",
      "market",
      "--trades",
      cut,
      "--book",
      join(sim, "history", "book.parquet"),
      "--deltas",
      join(sim, "history", "book_delta_v2.parquet"),
      "--out",
      join(base, "cut-out")
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lab run: .*cut-trades\.parquet/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
