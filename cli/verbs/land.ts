import {resolve} from "node:path";
import {landAmi, percentile} from "../../src/lib/meters/land.js";
import {openPostgresSink} from "../../src/lib/meters/postgres-sink.js";
import {openPromoter, promoteEvery} from "../../src/lib/meters/promote.js";
import {readSecret} from "../../src/lib/core/secret.js";
import {flag, numberFlag, refuseArgvSecret, stringFlag, UsageError, type Verb} from "../verb.js";

export const landVerb: Verb = {
  name: "land",
  summary: "land a feed: `land ami URL` writes the meter stream into bronze Parquet and promotes it to silver and gold",
  help: `usage: lab land ami URL --out DIR [--token-file FILE] [--commit-ms 250] [--postgres-url-file FILE]
                      [--pg-schema public] [--promote-ms 30000 | --no-promote]

Connects to an AMI feed (\`lab feed ami\`), lands readings into DIR/bronze/part-*.parquet with
at-least-once delivery, and records the committed offset in DIR/_checkpoint.json: a restart (or a
reconnect after a disconnect) resumes there. Ctrl-C commits what it holds and closes cleanly.
With a PostgreSQL URL (--postgres-url-file FILE or $LAB_POSTGRES_URL) it also upserts silver
readings into PostgreSQL (table readings, idempotent on meter_id and reading_ts) in the same
commit, before the checkpoint moves.

Every --promote-ms (30 s by default) it promotes what bronze gained to silver (DIR/silver/:
deduplicated, validated, rejects with reasons) and gold (DIR/gold/: hourly and daily rollups of
the days touched), exactly once: a batch's manifest and outputs are in place before its watermark
(DIR/_promote/watermark.json) moves, and a restart redoes a batch that was not committed. Each
batch prints a line with its silver lag (feed → committed in silver); --no-promote lands only.

Prints the end-to-end latency (generated → landed) and the silver lag as p50/p99. Secrets never
go on the command line (\`ps\` shows it): the feed's token comes from --token-file FILE or
$LAB_AMI_TOKEN.

example: LAB_AMI_TOKEN=$(cat ~/.ami-token) npm run lab -- land ami ws://127.0.0.1:8765/ami --out /tmp/ami`,
  flags: [
    // "token" and "postgres" are declared so refuseArgvSecret can say where a secret goes instead.
    ...["out", "token-file", "token", "postgres", "postgres-url-file", "pg-schema"].map(flag.string),
    flag.positive("commit-ms"),
    flag.positive("promote-ms"),
    flag.boolean("no-promote")
  ],
  async run(args) {
    const [what, url] = args.positionals;
    if (what !== "ami" || !url) throw new UsageError("expected: land ami URL");
    const out = stringFlag(args, "out");
    if (!out) throw new UsageError("--out DIR is required");
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    let lastLog = 0;
    refuseArgvSecret({args, flag: "token", fileFlag: "token-file", env: "LAB_AMI_TOKEN"});
    refuseArgvSecret({args, flag: "postgres", fileFlag: "postgres-url-file", env: "LAB_POSTGRES_URL"});
    const pgUrl = readSecret({
      name: "PostgreSQL URL",
      env: "LAB_POSTGRES_URL",
      file: stringFlag(args, "postgres-url-file")
    });
    const sink = pgUrl
      ? await openPostgresSink({url: pgUrl, schema: stringFlag(args, "pg-schema") ?? "public"})
      : undefined;
    const outDir = resolve(out);
    const promoter = args.flags["no-promote"]
      ? undefined
      : await openPromoter({outDir, onStep: (step, batch) => stallAt(`promote:${step}:${batch}`)});
    let parts = 0;
    let silverThrough = "";
    const landing = landAmi({
      sink,
      url,
      token: readSecret({name: "AMI token", env: "LAB_AMI_TOKEN", file: stringFlag(args, "token-file")}) ?? "",
      outDir,
      commitMs: numberFlag(args, "commit-ms", 250),
      signal: controller.signal,
      log: (line) => console.log(line),
      onCommit: ({to}) => {
        if (Date.now() - lastLog < 2000) return;
        lastLog = Date.now();
        console.log(`land: committed through reading ${to}${silverThrough}`);
      },
      onPartWritten: () => stallAt(`land:part-written:${++parts}`)
    });
    const promotion = promoter
      ? promoteEvery({
          promoter,
          intervalMs: numberFlag(args, "promote-ms", 30_000)!,
          until: landing,
          log: (line) => console.log(line),
          onBatch: (b) => (silverThrough = `; silver through ${b.to} (batch ${b.batch})`)
        })
      : undefined;
    // A failed batch stops the landing too: bronze must not run on unpromoted for ever unnoticed.
    promotion?.catch(() => controller.abort());
    const [landed, promoted] = await Promise.allSettled([landing, promotion]);
    await sink?.close();
    promoter?.close();
    if (landed.status === "rejected") throw landed.reason;
    if (promoted.status === "rejected") throw promoted.reason;
    const result = landed.value;
    console.log(
      `land: latency p50 ${percentile(result.latenciesMs, 50).toFixed(0)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(0)} ms over ${result.latenciesMs.length} readings; ${result.reconnects} reconnect(s)`
    );
    const summary = promoted.value;
    if (summary)
      console.log(
        `promote: ${summary.batches} batch(es), silver +${summary.silver} readings, issues +${summary.issues}; silver lag p50 ${summary.lag.percentileSeconds(50).toFixed(1)} s, p99 ${summary.lag.percentileSeconds(99).toFixed(1)} s over ${summary.lag.total} readings`
      );
  }
};

/**
 * Crash tests stop the process at a named point (LAB_STALL_AT=promote:outputs-placed:2, or
 * land:part-written:3 for the third part) and kill it there with SIGKILL: it says so and waits.
 */
async function stallAt(point: string): Promise<void> {
  if (process.env.LAB_STALL_AT !== point) return;
  console.log(`stall: at ${point} (LAB_STALL_AT)`);
  await new Promise(() => {});
}
