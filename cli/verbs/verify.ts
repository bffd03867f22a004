import {verifyEvidence} from "../../src/lib/effluent/evidence-log.js";
import {readSecret} from "../../src/lib/core/secret.js";
import {flag, stringFlag, UsageError, type Verb} from "../verb.js";

export const verifyVerb: Verb = {
  name: "verify",
  summary: "check a keyed, chained evidence log: names any edited, forged, removed, reordered or cut line",
  help: `usage: lab verify evidence FILE [--key-file FILE]

Recomputes the chain of an evidence log (evidence_log.jsonl, written by \`lab run effluent\`) and
checks its head record (FILE.head.json: the count and last link, so a cut tail shows). With the
evidence key (--key-file FILE, else $LAB_EVIDENCE_KEY_FILE or $LAB_EVIDENCE_KEY) it also checks each record's HMAC, so a log
rewritten with a recomputed chain fails; without the key it says that only the unkeyed integrity
was checked. Exits 0 when intact; otherwise prints each broken line and exits 1.

example: LAB_EVIDENCE_KEY=$(cat ~/.evidence-key) npm run lab -- verify evidence out/evidence_log.jsonl`,
  flags: [flag.string("key-file")],
  async run(args) {
    const [what, file] = args.positionals;
    if (what !== "evidence" || !file) throw new UsageError("expected: verify evidence FILE");
    const key = readSecret({
      name: "evidence key",
      env: "LAB_EVIDENCE_KEY",
      file: stringFlag(args, "key-file") ?? process.env.LAB_EVIDENCE_KEY_FILE
    });
    const {records, problems, keyed} = verifyEvidence({path: file, key});
    if (!problems.length) {
      console.log(
        keyed
          ? `${file}: ${records} records, chain intact and every link signed with the evidence key`
          : `${file}: ${records} records, chain intact — unkeyed check only: anyone who rewrites the log and recomputes the chain would pass it; give the key (--key-file FILE or $LAB_EVIDENCE_KEY) to check the signatures`
      );
      return 0;
    }
    for (const p of problems) console.log(`${file}:${p.line}: ${p.problem}`);
    console.log(`${file}: ${problems.length} problem(s) in ${records} records${keyed ? "" : " (unkeyed check only)"}`);
    return 1;
  }
};
