/** Where progress goes: a terminal (one redrawn bar) or a log (plain periodic lines). */
export interface ProgressOutput {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  /** Expected total, when known: enables percent and ETA. */
  total?: number;
  /** What is counted ("rows", "files", "bytes"). */
  unit?: string;
  output?: ProgressOutput;
  now?: () => number;
  /** Minimum time between two updates (default 100 ms on a TTY, 2 s otherwise). */
  intervalMs?: number;
}

export interface Progress {
  tick(n?: number): void;
  set(n: number): void;
  /** A line of its own, above the bar on a TTY. */
  log(line: string): void;
  done(summary?: string): void;
}

/** stderr, treated as a log (not a terminal) in CI so that CI logs stay readable. */
export function defaultProgressOutput(): ProgressOutput {
  const stream = process.stderr;
  return {
    write: (text) => void stream.write(text),
    isTTY: Boolean(stream.isTTY) && !process.env.CI,
    columns: stream.columns
  };
}

function formatCount(n: number, unit: string): string {
  if (unit === "bytes") {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) ((n /= 1024), i++);
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }
  return `${Math.round(n).toLocaleString("en-US")}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A progress reporter: a bar with rate and ETA on a terminal, plain periodic lines otherwise. */
export function createProgress({
  label,
  total,
  unit = "items",
  output = defaultProgressOutput(),
  now = () => performance.now(),
  intervalMs
}: ProgressOptions): Progress {
  const tty = Boolean(output.isTTY);
  const interval = intervalMs ?? (tty ? 100 : 2000);
  const start = now();
  let count = 0;
  let lastDraw = -Infinity;
  let finished = false;

  const describe = (): string => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? count / elapsed : 0;
    const rateText = unit === "bytes" ? `${formatCount(rate, unit)}/s` : `${formatCount(rate, unit)} ${unit}/s`;
    if (total) {
      const pct = Math.min(100, (100 * count) / total);
      const eta = rate > 0 ? (total - count) / rate : Infinity;
      return `${formatCount(count, unit)}/${formatCount(total, unit)}${unit === "bytes" ? "" : ` ${unit}`} (${pct.toFixed(0)}%) ${rateText} ETA ${formatSeconds(eta)}`;
    }
    return `${formatCount(count, unit)}${unit === "bytes" ? "" : ` ${unit}`} ${rateText}`;
  };

  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    if (tty) {
      const width = Math.max(10, Math.min(30, (output.columns ?? 80) - 60));
      const filled = total ? Math.round((width * Math.min(count, total)) / total) : 0;
      const bar = total ? `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ` : "";
      output.write(`\r\x1b[2K${label} ${bar}${describe()}`);
    } else {
      output.write(`[${label}] ${describe()}\n`);
    }
  };

  return {
    tick(n = 1) {
      count += n;
      draw(false);
    },
    set(n) {
      count = n;
      draw(false);
    },
    log(line) {
      if (tty) (output.write(`\r\x1b[2K${line}\n`), (lastDraw = -Infinity), draw(true));
      else output.write(`${line}\n`);
    },
    done(summary) {
      if (finished) return;
      finished = true;
      const elapsed = formatSeconds((now() - start) / 1000);
      const text = summary ?? `${describe()}`;
      if (tty) output.write(`\r\x1b[2K${label}: ${text} in ${elapsed}\n`);
      else output.write(`[${label}] done: ${text} in ${elapsed}\n`);
    }
  };
}
