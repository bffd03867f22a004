import {spawn} from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {constants as zlibConstants, gunzipSync, gzipSync} from "node:zlib";
import {describe, expect, test} from "vitest";
import {startBinanceFeed} from "../../../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../../../src/lib/market/live/capture.js";
import {
  CAPTURE_MAGIC,
  CaptureFileWriter,
  readCaptureFolder,
  readCaptureLines
} from "../../../src/lib/market/live/capture-file.js";
import {openSealed} from "../../../src/lib/market/live/capture-seal.js";
import {recoverCapturePartials} from "../../../src/lib/market/live/capture-recovery.js";
import {runNode, startNode} from "../../run-node.js";

const repo = join(import.meta.dirname, "..", "..", "..");

/** Complete lines a (possibly cut) gzip partial holds right now. */
function linesOnDisk(path: string, key?: Buffer): number {
  const bytes = readFileSync(path);
  if (bytes.length < 30) return 0;
  const gz = key ? openSealed({bytes, key}).plain : bytes;
  if (!gz.length) return 0;
  const text = gunzipSync(gz, {finishFlush: zlibConstants.Z_SYNC_FLUSH}).toString("utf-8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean).length;
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const run = await runNode(["-e", "console.log(process.pid)"], {cwd: repo, timeoutMs: 10_000});
  return Number(run.stdout.trim());
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A short in-process capture into `dir` (it recovers what it finds there first). */
async function captureFor(
  ms: number,
  dir: string,
  url: {wsUrl: string; url: string},
  log?: (l: string) => void,
  key?: Buffer
) {
  const controller = new AbortController();
  const run = captureBinance({
    wsUrl: url.wsUrl,
    restUrl: url.url,
    symbol: "BTCUSDT",
    outDir: dir,
    signal: controller.signal,
    key,
    log
  });
  await new Promise((r) => setTimeout(r, ms));
  controller.abort();
  return run;
}

/** `lab capture` as a child process, until killed. */
function captureChild(dir: string, feed: {wsUrl: string; url: string}, key?: Buffer) {
  return startNode(
    [
      "--import",
      "tsx",
      join(repo, "cli", "lab.ts"),
      "capture",
      "--ws",
      feed.wsUrl,
      "--rest",
      feed.url,
      "--symbol",
      "BTCUSDT",
      "--out",
      dir
    ],
    {cwd: repo, timeoutMs: 30_000, env: {...process.env, LAB_CAPTURE_KEY: key?.toString("hex") ?? ""}}
  );
}

describe("capture files are never lost or overwritten", () => {
  test("a taken name moves on to a numbered one, at open and at the final rename; nothing is truncated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-names-"));
    const taken = join(dir, "btcusdt-x.jsonl.gz");
    writeFileSync(taken, "earlier recording");
    const a = new CaptureFileWriter(taken);
    expect(a.path).toBe(join(dir, "btcusdt-x-1.jsonl.gz"));
    a.write('{"n":1}');
    // Someone takes a's final name while it writes: a moves on again at close.
    writeFileSync(join(dir, "btcusdt-x-1.jsonl.gz"), "another recording");
    await a.close();
    expect(a.path).toBe(join(dir, "btcusdt-x-2.jsonl.gz"));
    expect(readFileSync(taken, "utf-8")).toBe("earlier recording");
    expect(readFileSync(join(dir, "btcusdt-x-1.jsonl.gz"), "utf-8")).toBe("another recording");
    expect(readCaptureLines(a.path)).toEqual(['{"n":1}']);
    expect(readdirSync(dir).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  test("two captures in a row into one folder leave two files holding every line of both", async () => {
    const feed = await startBinanceFeed({seed: 11, speed: 20});
    const dir = mkdtempSync(join(tmpdir(), "capture-twice-"));
    const first = await captureFor(900, dir, feed);
    const second = await captureFor(900, dir, feed);
    await feed.close();
    const files = readdirSync(dir).sort();
    expect(files.length).toBe(2);
    expect(files.every((f) => f.endsWith(".jsonl.gz"))).toBe(true);
    const counts = files.map((f) => readCaptureLines(join(dir, f)).length);
    expect(first.lines).toBeGreaterThan(100);
    expect(second.lines).toBeGreaterThan(100);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(first.lines + second.lines);
    // The folder reads back as the first capture, then the second.
    const records = readCaptureFolder({dir}).map((l) => JSON.parse(l) as {local_ns: string; stream?: string});
    expect(records.length).toBe(first.lines + second.lines);
    expect(records.filter((r) => r.stream).length).toBe(first.messages + second.messages);
    for (let i = 1; i < records.length; i++)
      expect(BigInt(records[i]!.local_ns) >= BigInt(records[i - 1]!.local_ns)).toBe(true);
  }, 20_000);

  test.each([
    ["gzip", undefined],
    ["gzip and encryption", Buffer.alloc(32, 5)]
  ])(
    "a capture (%s) killed with SIGKILL leaves a partial that the next capture recovers",
    async (_, key) => {
      const feed = await startBinanceFeed({seed: 12, speed: 20});
      const dir = mkdtempSync(join(tmpdir(), "capture-kill-"));
      const child = captureChild(dir, feed, key);
      const partial = () => readdirSync(dir).find((f) => f.endsWith(".partial"));
      await waitFor(
        "the child's partial to hold 300 lines",
        () => !!partial() && linesOnDisk(join(dir, partial()!), key) >= 300,
        20_000
      );
      const name = partial()!;
      const flushed = linesOnDisk(join(dir, name), key);
      child.kill();
      const ended = await child.done;
      expect(ended.signal).toBe("SIGKILL");
      expect(readdirSync(dir)).toEqual([name]);
      const logs: string[] = [];
      const next = await captureFor(300, dir, feed, (l) => logs.push(l), key);
      await feed.close();
      expect(next.recovered.length).toBe(1);
      const recovered = next.recovered[0]!;
      expect(recovered).toMatchObject({partial: name, outcome: "recovered"});
      expect(recovered.lines).toBeGreaterThanOrEqual(flushed);
      expect(logs).toContain(
        `recovered ${recovered.lines.toLocaleString("en-US")} lines from ${name} into ${recovered.file}`
      );
      // The writer's intended name, every line whole JSON; the partial is gone.
      expect(name.startsWith(recovered.file!)).toBe(true);
      const lines = readCaptureLines(join(dir, recovered.file!), key);
      expect(lines.length).toBe(recovered.lines);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(readdirSync(dir).filter((f) => f.endsWith(".partial"))).toEqual([]);
      expect(readdirSync(dir).length).toBe(2);
    },
    40_000
  );

  test("a partial whose writer is alive is left alone", async () => {
    const feed = await startBinanceFeed({seed: 13, speed: 20});
    const dir = mkdtempSync(join(tmpdir(), "capture-live-"));
    const child = captureChild(dir, feed);
    const partial = () => readdirSync(dir).find((f) => f.endsWith(".partial"));
    await waitFor("the child's partial", () => !!partial() && statSync(join(dir, partial()!)).size > 0, 20_000);
    const name = partial()!;
    const other = join(dir, "elsewhere");
    mkdirSync(other);
    const next = await captureFor(300, other, feed);
    expect(next.recovered).toEqual([]);
    const result = await recoverCapturePartials({dir});
    expect(result).toEqual([{partial: name, outcome: "in use", lines: 0}]);
    const size = statSync(join(dir, name)).size;
    // Still there, still growing: its writer goes on.
    await waitFor("the partial to grow", () => statSync(join(dir, name)).size > size, 5000);
    child.kill();
    await child.done;
    await feed.close();
  }, 40_000);

  test("a sealed file that was altered or cut short does not read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-sealed-"));
    const key = Buffer.alloc(32, 2);
    const w = new CaptureFileWriter(join(dir, "btcusdt-s.jsonl.gz.enc"), {key, flushMs: 10});
    for (let i = 0; i < 200; i++) w.write(JSON.stringify({n: i}));
    await waitFor("a sealed flush", () => w.flushedLines === 200, 2000);
    for (let i = 200; i < 400; i++) w.write(JSON.stringify({n: i}));
    await w.close();
    const bytes = readFileSync(w.path);
    expect(readCaptureLines(w.path, key).length).toBe(400);
    const altered = Buffer.from(bytes);
    altered[60] = altered[60]! ^ 1;
    writeFileSync(join(dir, "altered.jsonl.gz.enc"), altered);
    expect(() => readCaptureLines(join(dir, "altered.jsonl.gz.enc"), key)).toThrow(
      /wrong key, or the file was altered/
    );
    // Without its final chunk the file authenticates only as far as it goes: a reader refuses it.
    const first = openSealed({bytes, key});
    expect(first.complete).toBe(true);
    expect(first.chunks).toBeGreaterThanOrEqual(2);
    writeFileSync(join(dir, "cut.jsonl.gz.enc"), bytes.subarray(0, bytes.length - 20));
    expect(() => readCaptureLines(join(dir, "cut.jsonl.gz.enc"), key)).toThrow(/cut short or altered/);
    expect(() => readCaptureLines(w.path, Buffer.alloc(32, 3))).toThrow(/wrong key/);
  });

  test("a reused pid is not a writer; a partial naming no pid is recovered only once idle 15 minutes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-pids-"));
    // A live process that started after the partial last changed cannot be its writer.
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], {stdio: "ignore"});
    const hourAgo = new Date(Date.now() - 3_600_000);
    const partials = [
      [`btcusdt-reused.jsonl.${other.pid}.partial`, hourAgo],
      ["btcusdt-init.jsonl.1.partial", new Date()],
      ["btcusdt-legacy-old.jsonl.partial", hourAgo],
      ["btcusdt-legacy-new.jsonl.partial", new Date()]
    ] as const;
    for (const [name, when] of partials) {
      writeFileSync(join(dir, name), '{"n":1}\n{"n":2}\n{"n"');
      utimesSync(join(dir, name), when, when);
    }
    const result = await recoverCapturePartials({dir});
    other.kill("SIGKILL");
    expect(result.map((r) => [r.partial, r.outcome, r.lines])).toEqual([
      ["btcusdt-init.jsonl.1.partial", "in use", 0],
      ["btcusdt-legacy-new.jsonl.partial", "in use", 0],
      ["btcusdt-legacy-old.jsonl.partial", "recovered", 2],
      [`btcusdt-reused.jsonl.${other.pid}.partial`, "recovered", 2]
    ]);
    expect(readCaptureLines(join(dir, "btcusdt-reused.jsonl"))).toEqual(['{"n":1}', '{"n":2}']);
    expect(readdirSync(dir).sort()).toEqual([
      "btcusdt-init.jsonl.1.partial",
      "btcusdt-legacy-new.jsonl.partial",
      "btcusdt-legacy-old.jsonl",
      "btcusdt-reused.jsonl"
    ]);
  });

  test("a torn gzip partial keeps its complete lines; an encrypted one recovers its authenticated chunks with the key, and the older layout is kept aside as .unrecoverable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-torn-"));
    const scratch = mkdtempSync(join(tmpdir(), "capture-torn-src-"));
    const pid = await deadPid();
    // A writer's gzip is flushed as it goes: what it wrote decodes from its partial before close.
    const plain = new CaptureFileWriter(join(scratch, "btcusdt-a.jsonl.gz"), {flushMs: 20});
    for (let i = 0; i < 500; i++) plain.write(JSON.stringify({local_ns: String(i), n: i}));
    await waitFor("a flush", () => plain.flushedLines === 500, 2000);
    expect(linesOnDisk(plain.partialPath)).toBe(500);
    // Cut by a kill: 500 lines and a torn one flushed, then half a block.
    const text = Array.from({length: 500}, (_, i) => JSON.stringify({local_ns: String(i), n: i}) + "\n").join("");
    const flushed = gzipSync(text + '{"local_ns":"500","n', {finishFlush: zlibConstants.Z_SYNC_FLUSH});
    const more = gzipSync("x".repeat(5000) + Math.random(), {finishFlush: zlibConstants.Z_SYNC_FLUSH});
    const cut = join(dir, `btcusdt-a.jsonl.gz.${pid}.partial`);
    writeFileSync(cut, Buffer.concat([flushed, more.subarray(10, 40)]));
    // Encrypted: sealed a chunk at each flush, so it recovers up to the last whole chunk (with the key).
    const key = Buffer.alloc(32, 1);
    const sealed = new CaptureFileWriter(join(scratch, "btcusdt-b.jsonl.gz.enc"), {key, flushMs: 20});
    for (let i = 0; i < 300; i++) sealed.write(JSON.stringify({local_ns: String(i), n: i}));
    await waitFor("a sealed flush", () => sealed.flushedLines === 300, 2000);
    const b = join(dir, `btcusdt-b.jsonl.gz.enc.${pid}.partial`);
    writeFileSync(b, Buffer.concat([readFileSync(sealed.partialPath), Buffer.alloc(40, 9)]));
    // The older layout has one tag at its end: nothing in a partial of it authenticates.
    writeFileSync(
      join(dir, `btcusdt-c.jsonl.gz.enc.${pid}.partial`),
      Buffer.concat([CAPTURE_MAGIC, Buffer.alloc(112, 3)])
    );
    const logs: string[] = [];
    const withoutKey = await recoverCapturePartials({dir, log: (l) => logs.push(l)});
    expect(withoutKey.map((r) => [r.outcome, r.file, r.lines])).toEqual([
      ["recovered", "btcusdt-a.jsonl.gz", 500],
      ["needs the key", undefined, 0],
      ["unrecoverable", "btcusdt-c.jsonl.gz.enc.unrecoverable", 0]
    ]);
    expect(readCaptureLines(join(dir, "btcusdt-a.jsonl.gz")).map((l) => JSON.parse(l).n)).toEqual(
      Array.from({length: 500}, (_, i) => i)
    );
    expect(logs[1]).toMatch(/left btcusdt-b.* alone: it is encrypted, and recovering it needs LAB_CAPTURE_KEY/);
    expect(logs[2]).toMatch(/kept btcusdt-c.*unrecoverable: an encrypted capture of this older layout cannot be/);
    const withKey = await recoverCapturePartials({dir, key});
    expect(withKey.map((r) => [r.outcome, r.file, r.lines])).toEqual([["recovered", "btcusdt-b.jsonl.gz.enc", 300]]);
    expect(readCaptureLines(join(dir, "btcusdt-b.jsonl.gz.enc"), key).map((l) => JSON.parse(l).n)).toEqual(
      Array.from({length: 300}, (_, i) => i)
    );
    expect(() => readCaptureLines(join(dir, "btcusdt-b.jsonl.gz.enc"))).toThrow(/encrypted/);
    expect(readdirSync(dir).sort()).toEqual([
      "btcusdt-a.jsonl.gz",
      "btcusdt-b.jsonl.gz.enc",
      "btcusdt-c.jsonl.gz.enc.unrecoverable"
    ]);
    expect(existsSync(cut)).toBe(false);
    await plain.close();
    await sealed.close();
  }, 20_000);
});
