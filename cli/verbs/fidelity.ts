import {resolve} from "node:path";
import {captureKeyFromEnv} from "../../src/lib/market/live/capture-file.js";
import {UnusableSideError} from "../../src/lib/market/fidelity/report.js";
import {runFidelity} from "../../src/lib/market/fidelity/run.js";
import {flag, stringFlag, UsageError, type Verb} from "../verb.js";

/** Exit codes: a FAIL verdict and an input that cannot be compared differ from an error (1) and a usage error (2). */
export const FIDELITY_EXIT = {pass: 0, fail: 3, unusable: 4} as const;

export const fidelityVerb: Verb = {
  name: "fidelity",
  summary: "is a reconstructed history the same market as a live capture? (KS tests, moments, PASS/FAIL)",
  help: `usage: lab fidelity --reconstructed DIR --golden DIR --out DIR

--reconstructed: a \`lab run market\` output folder (market_events/, book_samples.parquet).
--golden: a \`lab capture\` folder, or the live/ folder \`lab simulate market\` writes.
Writes fidelity.json, fidelity.md and fidelity_metrics.parquet into --out and prints the verdict.
Exit codes: 0 PASS, 3 FAIL, 4 a side too short to compare (nothing written), 1 unreadable input,
2 usage. Encrypted captures need LAB_CAPTURE_KEY.

example: npm run lab -- simulate market --seed 1 --minutes 10 --out /tmp/m
         npm run lab -- run market --trades /tmp/m/history/trades.parquet --book /tmp/m/history/book.parquet --deltas /tmp/m/history/book_delta_v2.parquet --out /tmp/r
         npm run lab -- fidelity --reconstructed /tmp/r --golden /tmp/m/live --out /tmp/f`,
  flags: ["reconstructed", "golden", "out"].map(flag.string),
  async run(args) {
    const [reconstructed, golden, out] = ["reconstructed", "golden", "out"].map((k) => stringFlag(args, k));
    if (!reconstructed || !golden || !out) throw new UsageError("--reconstructed, --golden and --out are required");
    let report;
    try {
      report = await runFidelity({
        reconstructedDir: resolve(reconstructed),
        goldenDir: resolve(golden),
        outDir: resolve(out),
        key: captureKeyFromEnv()
      });
    } catch (error) {
      if (!(error instanceof UnusableSideError)) throw error;
      console.error(`lab fidelity: ${error.message}`);
      return FIDELITY_EXIT.unusable;
    }
    console.log(
      `${report.verdict}: fidelity score ${report.score.toFixed(4)}\n${report.reasons.map((r) => `  ${r}`).join("\n")}\nreport: ${resolve(out)}/fidelity.md`
    );
    return report.verdict === "PASS" ? FIDELITY_EXIT.pass : FIDELITY_EXIT.fail;
  }
};
