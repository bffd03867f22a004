/**
 * Heartbeats: a job whose thread goes silent (a plugin blocked in Atomics.wait) is taken back after
 * the heartbeat timeout, its thread terminated and replaced, and the job retried; one that always
 * hangs ends FAILED with the reason, and the other jobs go on meanwhile.
 */
import {describe, expect, test} from "vitest";
import {makeProject, pluginTypes} from "./helpers.js";

const hangingPlugin = `import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const block = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
const plugin: Plugin = {
  name: "hang", tags: ["hang"], topics: ["hang_rows"],
  async execute(ctx, file) {
    const text = readFileSync(file.path, "utf-8").trim();
    if (text === "always") block();
    const marker = join(ctx.scratchDir, "..", "..", "..", "hung-once");
    if (text === "once" && !existsSync(marker)) (writeFileSync(marker, ""), block());
    await ctx.publish("hang_rows", {columns: [{name: "text", type: "VARCHAR"}], rows: [{text}]});
  }
};
export default plugin;
`;

describe("heartbeat timeout", () => {
  test("a hanging plugin's job is taken back and retried on a fresh thread; one that always hangs ends FAILED", async () => {
    const p = makeProject({
      routing: [{glob: "**/*.h", tag: "hang"}],
      heartbeatMs: 50,
      heartbeatTimeoutMs: 1500,
      retry: {maxAttempts: 2, backoffMs: 50}
    });
    p.write("plugins/hang.ts", hangingPlugin);
    p.write("datasets/always.h", "always");
    p.write("datasets/once.h", "once");
    for (let i = 0; i < 4; i++) p.write(`datasets/fine-${i}.h`, `fine ${i}`);
    const summary = await p.ingest();
    expect(summary.jobsCompleted).toBe(5);
    expect(summary.jobsFailed).toBe(1);
    expect(summary.jobsRetried).toBe(2); // always.h once, once.h once
    expect(summary.failures).toEqual([
      {path: "datasets/always.h", plugin: "hang", error: expect.stringMatching(/^no heartbeat for \d+\.\d s /)}
    ]);
    const jobs = await p.catalog(
      "SELECT split_part(l.rel_path, '.', 1) AS file, status, attempts, error FROM jobs JOIN file_locations l USING (file_id) ORDER BY 1"
    );
    expect(jobs.map((j) => [j.file, j.status, j.attempts])).toEqual([
      ["always", "FAILED", 2],
      ["fine-0", "COMPLETED", 1],
      ["fine-1", "COMPLETED", 1],
      ["fine-2", "COMPLETED", 1],
      ["fine-3", "COMPLETED", 1],
      ["once", "COMPLETED", 2]
    ]);
    expect(String(jobs[0]!.error)).toMatch(
      /^no heartbeat for \d+\.\d s \(heartbeatTimeoutMs 1500\): its worker thread was stopped$/
    );
    expect(await p.query(["hang_rows"], "SELECT text FROM hang_rows ORDER BY 1")).toEqual(
      ["fine 0", "fine 1", "fine 2", "fine 3", "once"].map((text) => ({text}))
    );
    // The three stopped threads were replaced: two threads stay at work, each with an id of its own.
    const workers = await p.catalog("SELECT status, count(*)::INT AS n FROM workers GROUP BY 1 ORDER BY 1");
    expect(workers).toEqual([
      {status: "COORDINATOR", n: 1},
      {status: "STOPPED", n: 3},
      {status: "WORKER", n: 2}
    ]);
  }, 60_000);
});
