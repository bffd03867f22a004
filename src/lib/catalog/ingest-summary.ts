import type {SinkResult} from "./pg-sink.js";
import type {BrokenPlugin} from "./plugin-loader.js";
import type {ScoutResult} from "./scout.js";

/** What one ingest pass did: the scan, the jobs and their outcomes, the rows per topic. */
export interface IngestSummary {
  scout: ScoutResult;
  jobsQueued: number;
  jobsCompleted: number;
  jobsFailed: number;
  jobsRetried: number;
  rowsByTopic: Record<string, number>;
  failures: {path: string; plugin: string; error: string}[];
  brokenPlugins: BrokenPlugin[];
  seconds: number;
  /** The topics mirrored to other sinks (lab.config.ts `topicSinks`) after the pass. */
  sinks?: SinkResult[];
}

/** The summary line of a pass, then one line per failure. */
export function formatSummary(s: IngestSummary): string[] {
  const topics = Object.entries(s.rowsByTopic)
    .map(([t, n]) => `${t} +${n.toLocaleString("en-US")}`)
    .join(", ");
  return [
    `ingest: ${s.scout.filesSeen} files seen, ${s.scout.changed} new or changed (${s.scout.newVersions} new versions), ${s.scout.missing} gone; jobs ${s.jobsCompleted} completed, ${s.jobsFailed} failed, ${s.jobsRetried} retried${topics ? `; rows ${topics}` : ""} in ${s.seconds.toFixed(1)}s`,
    ...s.failures.map((f) => `  FAILED ${f.plugin} on ${f.path}: ${f.error}`)
  ];
}
