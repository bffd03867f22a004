import {existsSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {createRng} from "../../../src/lib/core/random.js";
import {startNode} from "../../run-node.js";
import {fingerprint, simulatedHistory} from "../helpers.js";

const repo = join(import.meta.dirname, "..", "..", "..");

/** The lab CLI: `done` gives 0 on success and null when killed, and fails on any other exit. */
function runLab(args: string[]): {done: Promise<number | null>; kill(): void} {
  const lab = startNode(["--import", "tsx", join(repo, "cli", "lab.ts"), ...args], {cwd: repo});
  return {
    done: lab.done.then((r) => {
      if (r.signal) return null;
      if (r.status !== 0) throw new Error(`lab exited ${r.status}: ${r.stderr}`);
      return 0;
    }),
    kill: lab.kill
  };
}

describe("crash safety", () => {
  test("kill -9 at random points in three runs: --resume gives the clean run's rows in the same order", async () => {
    const sim = await simulatedHistory({seed: 5, seconds: 600, config: {dropDeltaRate: 0.01}});
    const base = [
      "run",
      "market",
      "--trades",
      sim.files.trades,
      "--book",
      sim.files.book,
      "--deltas",
      sim.files.deltas,
      "--segment-events",
      "6000"
    ];
    const clean = join(sim.dir, "clean");
    const started = performance.now();
    await runLab([...base, "--out", clean]).done;
    const duration = performance.now() - started;
    const expected = await fingerprint(join(clean, "market_events", "**", "*.parquet"));
    expect(expected.n).toBeGreaterThan(60_000);
    const rng = createRng("crash");
    const kills: {killed: boolean; segments: number}[] = [];
    for (let run = 0; run < 3; run++) {
      const out = join(sim.dir, `crashed-${run}`);
      const first = runLab([...base, "--out", out]);
      // Run 0 dies anywhere in its first stretch; runs 1 and 2 a random moment after their
      // first and third checkpoints, so resuming from a checkpoint is exercised for sure.
      // `lab run` builds the replay in <out>.partial/, which a killed run leaves for --resume.
      const segmentsDir = join(`${out}.partial`, "segments");
      const doneMarkers = () =>
        existsSync(segmentsDir) ? readdirSync(segmentsDir).filter((f) => f.endsWith(".done.json")).length : 0;
      if (run === 0) await new Promise((r) => setTimeout(r, rng.uniform(0.2, 0.6) * duration));
      else {
        const target = run === 1 ? 1 : 3;
        while (doneMarkers() < target) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, rng.uniform(0, 150)));
      }
      first.kill();
      const code = await first.done;
      const segments = doneMarkers();
      await runLab([...base, "--out", out, "--resume"]).done;
      kills.push({killed: code === null, segments});
      expect({run, ...(await fingerprint(join(out, "market_events", "**", "*.parquet")))}).toEqual({run, ...expected});
    }
    // The kills really interrupted the runs, at different points.
    expect(kills.every((k) => k.killed)).toBe(true);
    expect(kills.filter((k) => k.segments > 0).length).toBeGreaterThanOrEqual(2);
    console.log(
      `clean run ${(duration / 1000).toFixed(1)}s; killed after ${kills.map((k) => k.segments).join(", ")} complete segment(s)`
    );
  }, 180_000);
});
