/** Debian's Chromium through playwright-core, or a clear reason why the browser tests cannot run. */
import {existsSync} from "node:fs";
import {chromium, type Browser} from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the browser suite must skip (outside CI only), or undefined when it can run. */
export function browserUnavailable(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `browser tests skipped: no Chromium at ${chromiumPath} (install Debian's chromium with \`apt-get install chromium\`, or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(`${reason} — CI requires them`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    // The machine has no outside network: these stop Chromium's own background connections.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage"
    ]
  });
}
