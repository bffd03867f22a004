import {verifyEvidence} from "../../src/lib/effluent/evidence-log.js";
import {UsageError, type Verb} from "../verb.js";

export const verifyVerb: Verb = {
  name: "verify",
  summary: "check a hash-chained evidence log: names any edited, removed or reordered line",
  help: `usage: lab verify evidence FILE

Recomputes the SHA-256 chain of an evidence log (evidence_log.jsonl, written by
\`lab run effluent\`). Exits 0 when intact; otherwise prints each broken line and exits 1.

example: npm run lab -- verify evidence out/evidence_log.jsonl`,
  async run(args) {
    const [what, file] = args.positionals;
    if (what !== "evidence" || !file) throw new UsageError("expected: verify evidence FILE");
    const {records, problems} = verifyEvidence({path: file});
    if (!problems.length) {
      console.log(`${file}: ${records} records, chain intact`);
      return 0;
    }
    for (const p of problems) console.log(`${file}:${p.line}: ${p.problem}`);
    console.log(`${file}: ${problems.length} problem(s) in ${records} records`);
    return 1;
  }
};
