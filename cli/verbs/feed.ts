import {randomBytes} from "node:crypto";
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {DEFAULT_FEED_START, parseFeedStart, startAmiFeed} from "../../src/lib/meters/feed-server.js";
import {startBinanceFeed} from "../../src/lib/market/live/binance-feed-server.js";
import type {EmissionPattern} from "../../src/lib/meters/config.js";
import {readSecret} from "../../src/lib/core/secret.js";
import {flag, numberFlag, refuseArgvSecret, stringFlag, UsageError, type Verb} from "../verb.js";

const marketFlag = (text: string | undefined): "spot" | "usdm" => {
  if (text === undefined || text === "spot" || text === "usdm") return text ?? "spot";
  throw new UsageError(`--market must be spot or usdm, got "${text}"`);
};

export const feedVerb: Verb = {
  name: "feed",
  summary: "WebSocket feeds on 127.0.0.1: `feed ami` (meter fleet), `feed binance` (a local exchange)",
  help: `usage: lab feed ami [--port 8765] [--token-file FILE] [--rate 1000] [--meters 1000] [--days 1]
                   [--pattern STAGGERED] [--seed 1] [--batch 100] [--start 2024-06-02T18:30:00Z|now]
       lab feed binance [--port 9443] [--seed 1] [--speed 1] [--replay FILE]
                   [--drop-rate 0] [--disconnect-every S] [--market spot|usdm]

feed binance: a local exchange speaking the Binance spot protocol for the simulated market:
combined streams at ws://127.0.0.1:PORT/stream?streams=btcusdt@trade/btcusdt@depth@100ms,
REST /api/v3/depth?symbol=BTCUSDT&limit=1000 and /api/v3/time, pings every 20 s. --speed 10
runs the market ten times faster than real time; --replay FILE serves a recorded capture
(lab capture files, or "<local_ns> <json>" lines) instead; --drop-rate loses that share of
depth messages and --disconnect-every drops every client every S seconds (for testing captures).
--market usdm speaks USD-M futures instead: btcusdt@depth@0ms diffs carrying pu (the previous
diff's u), REST /fapi/v1/depth and /fapi/v1/time.

Streams the fleet's readings over WebSocket at ws://127.0.0.1:PORT/ami, --rate readings per
second in messages of --batch, then sends {"type":"end"}. Readings start at --start (by default
2024-06-02T18:30:00Z; \`now\` is the current 15-minute interval, so readings carry today's time) and
run --days of intervals; above --meters/900 readings per second they run ahead of the clock. Clients must present the token
(?token=T or Authorization: Bearer T; 401 otherwise); ?from=N resumes at reading N.
The token is read from --token-file FILE or $LAB_AMI_TOKEN (never from the command line, where
\`ps\` shows it); without either, a random one is written to a new file (mode 600) whose path is
printed: the token itself never is.

example: LAB_AMI_TOKEN=$(cat ~/.ami-token) npm run lab -- feed ami --rate 10000 --meters 10000`,
  flags: [
    // "token" is declared so refuseArgvSecret can say where a secret goes instead.
    ...["token-file", "token", "pattern", "replay", "market", "start"].map(flag.string),
    flag.port(),
    flag.positive("rate"),
    flag.count("meters"),
    flag.positive("days"),
    flag.integer("seed"),
    flag.count("batch"),
    flag.positive("speed"),
    flag.range("drop-rate", 0, 1),
    flag.positive("disconnect-every")
  ],
  async run(args) {
    if (args.positionals[0] === "binance") {
      const feed = await startBinanceFeed({
        port: numberFlag(args, "port", 9443),
        seed: numberFlag(args, "seed", 1),
        speed: numberFlag(args, "speed", 1),
        replay: stringFlag(args, "replay"),
        dropRate: numberFlag(args, "drop-rate", 0),
        disconnectEverySeconds: numberFlag(args, "disconnect-every"),
        market: marketFlag(stringFlag(args, "market")),
        log: (line) => console.log(line)
      });
      console.log(
        `capture it with: npm run lab -- capture --ws ${feed.wsUrl} --rest ${feed.url} --symbol ${feed.symbol || "BTCUSDT"} --out /tmp/capture   (Ctrl-C to stop)`
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await feed.close();
      return;
    }
    if (args.positionals[0] !== "ami") throw new UsageError("expected: feed ami, or feed binance");
    refuseArgvSecret({args, flag: "token", fileFlag: "token-file", env: "LAB_AMI_TOKEN"});
    let token = readSecret({name: "AMI token", env: "LAB_AMI_TOKEN", file: stringFlag(args, "token-file")});
    let tokenNote = stringFlag(args, "token-file")
      ? `token from ${stringFlag(args, "token-file")}`
      : "token from $LAB_AMI_TOKEN";
    if (!token) {
      token = randomBytes(16).toString("hex");
      const path = join(mkdtempSync(join(tmpdir(), "lab-ami-")), "token");
      writeFileSync(path, token + "\n", {mode: 0o600});
      tokenNote = `random token in ${path}: land with --token-file ${path}`;
    }
    const startText = stringFlag(args, "start");
    const start = startText === undefined ? DEFAULT_FEED_START : parseFeedStart({text: startText});
    if (!start)
      throw new UsageError(
        `--start must be "now" or an ISO date-time such as 2024-06-02T18:30:00Z, got "${startText!.slice(0, 40)}"`
      );
    const feed = await startAmiFeed({
      port: numberFlag(args, "port", 8765),
      start,
      token,
      ratePerSecond: numberFlag(args, "rate", 1000)!,
      meters: numberFlag(args, "meters", 1000)!,
      days: numberFlag(args, "days", 1)!,
      pattern: stringFlag(args, "pattern", "STAGGERED")!.toUpperCase() as EmissionPattern,
      seed: numberFlag(args, "seed", 1)!,
      batchSize: numberFlag(args, "batch", 100),
      log: (line) => console.log(line)
    });
    console.log(`AMI feed on ${feed.url} from ${start.toISOString()} (${tokenNote}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await feed.close();
  }
};
