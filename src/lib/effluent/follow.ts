import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  watch,
  writeFileSync,
  type FSWatcher
} from "node:fs";
import {join} from "node:path";
import {interruptibleWait} from "../core/wait.js";
import {analyzeEffluent, learnTravelTimes} from "./analyze.js";
import type {EffluentConfig} from "./config.js";
import {defaultSiteOptions, mappedTravelMinutes, type EffluentSiteOptions} from "./dataset-options.js";
import {appendEvidence, evidenceKeyFromEnv} from "./evidence-log.js";
import {CsvTail} from "./file-tail.js";
import {factoryLayout, mpcbLayout, type FeedLayout} from "./feed-layout.js";
import {TamperLedger, type LiveTamper} from "./live-tamper.js";
import {readRow, type ReadingProblem} from "./read-feeds.js";
import type {TravelEstimate} from "./travel-time.js";
import type {Attribution, CetpReading, FactoryReading, ShockEvent} from "./types.js";
import {createWebhookSender, type WebhookSender} from "./webhook.js";

export interface FollowOptions {
  cetpPath: string;
  /** Factory feed files, or folders whose *.csv files (including new ones) are followed. */
  factoryPaths: string[];
  /** Findings are appended as JSON Lines to outDir/live/*.jsonl, plus evidence_log.jsonl. */
  outDir: string;
  /** The site's options (time format and zone, columns, plausible window, tunables). */
  site?: EffluentSiteOptions;
  /** Overrides the site's tunables (tests). */
  config?: EffluentConfig;
  signal: AbortSignal;
  pollMs?: number;
  /** Each new attribution is also POSTed here (in the background, retried). */
  webhookUrl?: string;
  log?: (line: string) => void;
  /** Called for every finding appended (tests and progress). */
  onFinding?: (finding: LiveFinding) => void;
  /** Signs evidence_log.jsonl (default: $LAB_EVIDENCE_KEY_FILE or $LAB_EVIDENCE_KEY; null: unkeyed). */
  evidenceKey?: string | null;
}

export type LiveFinding = (
  | {table: "shock_events"; row: ShockEvent}
  | {table: "attributions"; row: Attribution}
  | {table: "tamper_events"; row: LiveTamper}
  | {table: "effluent_quarantine"; row: ReadingProblem}
) & {
  /** A tamper finding seen before whose window grew (the same finding_id, rewritten in place). */
  update?: boolean;
};

const RECENT_MS = 26 * 3600_000;

/**
 * Live mode: follows a growing MPCB export and the factory feeds, and appends each new shock, its
 * attributions and each tamper finding within one poll (250 ms by default) of the line that reveals
 * it. Travel times are relearned from the whole history on every batch; the analysis itself runs
 * over the last 26 hours (enough for a day-old replay to be caught), so each batch stays cheap.
 * A shock is appended when it opens, with its attribution from the evidence at onset. A row that
 * is not a reading is quarantined (live/effluent_quarantine.jsonl) and following goes on. Tamper
 * findings are one each for their whole life: `live/tamper_events.jsonl` is rewritten (atomically)
 * when a window grows, so a frozen run still growing stays one finding with one start.
 */
export async function followEffluent({
  cetpPath,
  factoryPaths,
  outDir,
  site = defaultSiteOptions(),
  config = site.config,
  signal,
  pollMs = 250,
  webhookUrl,
  log = () => {},
  onFinding,
  evidenceKey = evidenceKeyFromEnv()
}: FollowOptions): Promise<{shocks: number; attributions: number; tamper: number}> {
  const liveDir = join(outDir, "live");
  mkdirSync(liveDir, {recursive: true});
  const cetpTail = new CsvTail(cetpPath);
  const factoryTails = new Map<string, CsvTail>();
  const layouts = new Map<string, FeedLayout<CetpReading> | FeedLayout<FactoryReading>>();
  const ledger = new TamperLedger();
  const travelMinutes = mappedTravelMinutes(site);
  const cetp: CetpReading[] = [];
  const factories: FactoryReading[] = [];
  const emitted = new Set<string>();
  const counts = {shocks: 0, attributions: 0, tamper: 0};
  const webhook: WebhookSender | undefined = webhookUrl ? createWebhookSender({url: webhookUrl, log}) : undefined;
  let travel: TravelEstimate[] = [];

  const discoverFactoryFiles = () => {
    for (const p of factoryPaths) {
      const files =
        existsSync(p) && statSync(p).isDirectory()
          ? readdirSync(p)
              .filter((f) => f.endsWith(".csv"))
              .map((f) => join(p, f))
          : [p];
      for (const f of files) if (!factoryTails.has(f)) factoryTails.set(f, new CsvTail(f));
    }
  };

  const append = (finding: LiveFinding) => {
    appendFileSync(join(liveDir, `${finding.table}.jsonl`), JSON.stringify(finding.row) + "\n");
    onFinding?.(finding);
  };
  const rewriteTamper = () => {
    const path = join(liveDir, "tamper_events.jsonl");
    writeFileSync(`${path}.tmp`, ledger.all.map((t) => JSON.stringify(t) + "\n").join(""));
    renameSync(`${path}.tmp`, path);
  };

  const step = () => {
    discoverFactoryFiles();
    let fresh = 0;
    // Each followed file: its header gives its layout once, then every new row is read or quarantined.
    const take = <T extends CetpReading | FactoryReading>(
      path: string,
      tail: CsvTail,
      layoutOf: (fields: string[]) => FeedLayout<T>,
      into: T[]
    ) => {
      for (const record of tail.read()) {
        const layout = layouts.get(path) as FeedLayout<T> | undefined;
        if (!layout) {
          layouts.set(path, layoutOf(record.fields) as FeedLayout<CetpReading> | FeedLayout<FactoryReading>);
          continue;
        }
        if (record.fields.length === 1 && record.fields[0]!.trim() === "") continue;
        const result = readRow({layout, fields: record.fields, line: record.line, file: path, site, now: new Date()});
        if ("problem" in result) {
          append({table: "effluent_quarantine", row: result.problem});
          log(`${path}:${result.problem.line}: quarantined: ${result.problem.reason}`);
        } else {
          into.push(result.row);
          fresh++;
        }
      }
    };
    take(cetpPath, cetpTail, (fields) => mpcbLayout({fields, file: cetpPath, site}), cetp);
    for (const [path, tail] of factoryTails)
      take(path, tail, (fields) => factoryLayout({fields, file: path, site}), factories);
    if (!fresh || !cetp.length) return;
    cetp.sort((a, b) => a.ts.getTime() - b.ts.getTime());
    factories.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.factory_id.localeCompare(b.factory_id));
    travel = learnTravelTimes({cetp, factories, config});
    const since = cetp.at(-1)!.ts.getTime() - RECENT_MS;
    const analysis = analyzeEffluent({
      cetp: cetp.filter((r) => r.ts.getTime() >= since),
      factories: factories.filter((r) => r.ts.getTime() >= since),
      config,
      travel,
      travelMinutes
    });
    const newAttributions: Attribution[] = [];
    for (const shock of analysis.shocks) {
      if (emitted.has(`shock ${shock.event_id}`)) continue;
      emitted.add(`shock ${shock.event_id}`);
      append({table: "shock_events", row: shock});
      counts.shocks++;
      for (const a of analysis.attributions.filter((x) => x.event_id === shock.event_id)) {
        append({table: "attributions", row: a});
        counts.attributions++;
        if (a.method === "robust_lag" && a.factory_id) {
          newAttributions.push(a);
          webhook?.send({type: "attribution", ...a, start_ts: shock.start_ts, peak_cod: shock.peak_cod});
        }
      }
    }
    const {added, updated} = ledger.merge(analysis.tamper);
    if (added.length || updated.length) rewriteTamper();
    for (const t of added) onFinding?.({table: "tamper_events", row: t});
    for (const t of updated) onFinding?.({table: "tamper_events", row: t, update: true});
    counts.tamper += added.length;
    if (newAttributions.length)
      appendEvidence({path: join(outDir, "evidence_log.jsonl"), attributions: newAttributions, key: evidenceKey});
  };

  // File-system events wake the loop at once; the poll is the safety net (and catches new files).
  let wake: (() => void) | undefined;
  const watchers: FSWatcher[] = [];
  for (const p of [cetpPath, ...factoryPaths]) {
    try {
      watchers.push(watch(p, () => wake?.()));
    } catch {
      // not there yet: the poll picks it up
    }
  }
  log(`following ${cetpPath} and ${factoryPaths.join(", ")} → ${liveDir}`);
  try {
    while (!signal.aborted) {
      step();
      const wait = interruptibleWait(signal, pollMs);
      wake = wait.wake;
      await wait.done;
    }
  } finally {
    for (const w of watchers) w.close();
    await webhook?.drain();
  }
  return counts;
}
