import {resolve} from "node:path";
import {landAmi, percentile} from "../../src/lib/meters/land.js";
import {openPostgresSink} from "../../src/lib/meters/postgres-sink.js";
import {UsageError, numberFlag, stringFlag, type Verb} from "../verb.js";

export const landVerb: Verb = {
  name: "land",
  summary: "land a feed: `land ami URL` writes the meter stream into bronze Parquet, resumable",
  help: `usage: lab land ami URL --out DIR [--token T] [--commit-ms 250] [--postgres URL]

Connects to an AMI feed (\`lab feed ami\`), lands readings into DIR/bronze/part-*.parquet with
at-least-once delivery, and records the committed offset in DIR/_checkpoint.json: a restart (or a
reconnect after a disconnect) resumes there. Ctrl-C commits what it holds and closes cleanly.
With --postgres URL it also upserts silver readings into PostgreSQL (table readings, idempotent on
meter_id and reading_ts) in the same commit, before the checkpoint moves.
Prints the end-to-end latency (generated → landed) as p50/p99.

example: npm run lab -- land ami ws://127.0.0.1:8765/ami --token secret --out /tmp/ami`,
  async run(args) {
    const [what, url] = args.positionals;
    if (what !== "ami" || !url) throw new UsageError("expected: land ami URL");
    const out = stringFlag(args, "out");
    if (!out) throw new UsageError("--out DIR is required");
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    let lastLog = 0;
    const pgUrl = stringFlag(args, "postgres");
    const sink = pgUrl
      ? await openPostgresSink({url: pgUrl, schema: stringFlag(args, "pg-schema") ?? "public"})
      : undefined;
    const result = await landAmi({
      sink,
      url,
      token: stringFlag(args, "token") ?? process.env.LAB_FEED_TOKEN ?? "",
      outDir: resolve(out),
      commitMs: numberFlag(args, "commit-ms", 250),
      signal: controller.signal,
      log: (line) => console.log(line),
      onCommit: ({to}) => {
        if (Date.now() - lastLog > 2000) ((lastLog = Date.now()), console.log(`land: committed through reading ${to}`));
      }
    });
    await sink?.close();
    console.log(
      `land: latency p50 ${percentile(result.latenciesMs, 50).toFixed(0)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(0)} ms over ${result.latenciesMs.length} readings; ${result.reconnects} reconnect(s)`
    );
  }
};
