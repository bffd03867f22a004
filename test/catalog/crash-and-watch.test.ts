import {existsSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {readManifest} from "../../src/lib/catalog/warehouse.js";
import {startNode} from "../run-node.js";
import {makeProject, pluginTypes, repoDir} from "./helpers.js";

const ROWS = 300_000;

const slowPlugin = `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "big", tags: ["big"], topics: ["big_rows"],
  async execute(ctx, file) {
    const n = Number(readFileSync(file.path, "utf-8"));
    async function* rows() {
      for (let i = 0; i < n; i += 10_000) {
        if (i === n / 2 && process.env.LAB_TEST_PAUSE) {
          ctx.log("halfway");
          await new Promise((r) => setTimeout(r, 60_000));
        }
        yield Array.from({length: 10_000}, (_, k) => ({i: i + k}));
      }
    }
    await ctx.publish("big_rows", {columns: [{name: "i", type: "BIGINT"}], rows: rows()});
  }
};
export default plugin;
`;

function runCli(dir: string, env: Record<string, string> = {}) {
  return startNode(["--import", "tsx", join(repoDir, "cli", "lab.ts"), "ingest", "--lab-dir", ".lab"], {
    cwd: dir,
    env: {...process.env, ...env, CI: "true"}
  });
}

describe("crashes and watch mode", () => {
  test("kill -9 in the middle of a large job: no partial rows visible, and the next run completes it exactly once", async () => {
    const p = makeProject();
    p.write(
      "lab.config.ts",
      `export default {routing: [{glob: "**/*.big", tag: "big"}], workers: 1, stableWaitMs: 10};\n`
    );
    p.write("plugins/big.ts", slowPlugin);
    p.write("datasets/numbers.big", String(ROWS));
    const child = runCli(p.dir, {LAB_TEST_PAUSE: "1"});
    await child.waitFor("halfway", 60_000);
    child.kill();
    expect((await child.done).signal).toBe("SIGKILL");
    // Half the rows were staged, none are visible.
    expect(readManifest(p.paths).topics.big_rows).toBeUndefined();
    expect(existsSync(join(p.paths.warehouseDir, "big_rows"))).toBe(false);
    expect(await p.catalog("SELECT status, attempts FROM jobs")).toEqual([{status: "RUNNING", attempts: 1}]);

    const rerun = runCli(p.dir);
    const {status: code} = await rerun.done;
    const log = rerun.output();
    expect(code, log).toBe(0);
    expect(log).toContain("requeued 1 job(s) held by a dead worker");
    expect(
      await p.query(
        ["big_rows"],
        "SELECT count(*)::INT AS n, count(DISTINCT i)::INT AS d, min(i)::INT AS lo, max(i)::INT AS hi FROM big_rows"
      )
    ).toEqual([{n: ROWS, d: ROWS, lo: 0, hi: ROWS - 1}]);
    expect(await p.catalog("SELECT status, attempts FROM jobs")).toEqual([{status: "COMPLETED", attempts: 2}]);
    expect(readdirSync(join(p.paths.warehouseDir, "big_rows", "dataset=default"))).toHaveLength(1);
    expect(existsSync(p.paths.stagingDir) ? readdirSync(p.paths.stagingDir) : []).toEqual([]);
  }, 120_000);

  test("watch mode processes a dropped file within 2 s", async () => {
    const p = makeProject({watchRescanMs: 60_000});
    p.write("datasets/first.csv", "a\n1\n");
    const controller = new AbortController();
    const passes: number[] = [];
    let dropped = 0;
    const done = new Promise<number>((resolve) => {
      const running = ingest({
        paths: p.paths,
        config: p.config,
        watch: true,
        signal: controller.signal,
        output: {write: () => {}, isTTY: false},
        log: () => {},
        onPass: (s) => {
          passes.push(s.jobsCompleted);
          if (passes.length === 1) {
            dropped = performance.now();
            p.write("datasets/dropped.csv", "a\n2\n3\n");
          } else if (s.jobsCompleted) resolve(performance.now() - dropped);
        }
      });
      running.catch(() => {});
    });
    const latency = await done;
    controller.abort();
    expect(latency).toBeLessThan(2000);
    expect(await p.query(["raw_dropped"], "SELECT count(*)::INT AS n FROM raw_dropped")).toEqual([{n: 2}]);
  }, 30_000);
});
