/**
 * The site as a new user gets it: a copy of the project with the bundled simulations removed and a
 * small dataset of their own for each pipeline that reads user data so far (a KPI events export
 * with one bad row, the meters readings fixture, market history with a recording of its live feed,
 * a market recording alone, and a CSV for the catalog's generic plugin), and a site whose logger
 * uploaded to the real `lab serve mpcb` just before, built from scratch (the build's ingest is the
 * "next ingest" that picks the upload up). Every page
 * must render either that data or its empty state, with no cell error and nothing a reader cannot
 * read at 1280 and 900 px.
 */
import {writeRealSite} from "../effluent/real-site.js";
import {writeSiteTrial} from "../../src/lib/effluent/trial-files.js";
import {uploadLiveSite, type LiveUpload} from "./mpcb-live.js";
import {binanceRecording, referenceBooks} from "../market/binance-recording.js";
import {liveFeedRecording} from "../market/sim-recording.js";
import {simulateMarketFiles} from "../../src/lib/market/pipeline.js";
import {execFileSync} from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from "node:fs";
import {gzipSync} from "node:zlib";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {browserUnavailable, launchChromium} from "./browser.js";
import {buildSite, builtPages} from "./build-site.js";
import {routeFile} from "./links.js";
import {checkPage, screenshotFile} from "./page-check.js";
import {readabilityProblems} from "./readability.js";
import type {PageExpectation} from "./pages.js";
import {serveStatic} from "./static-server.js";

const projectDir = join(import.meta.dirname, "..", "..");
const skipReason = browserUnavailable();

/** 35 days of orders, one row a day, and one row whose date cannot be read (line 20). */
export function ordersCsv(): string {
  const rows = ["date,amount"];
  for (let day = 0; day < 35; day++) {
    const date = new Date(Date.UTC(2024, 0, 1 + day)).toISOString().slice(0, 10);
    rows.push(day === 18 ? "2024-13-45,12" : `${date},${100 + (day % 7) * 10 + day}`);
  }
  return rows.join("\n") + "\n";
}

/** The capture-only market dataset: a recording in Binance's real format, and its book at the end by Binance's rules. */
const recording = binanceRecording({seed: 8, diffs: 1200});
const lastBook = referenceBooks(recording).at(-1)!;
const usdt = (cents: number) =>
  (cents / 100).toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 8});

const emptyState = (pipeline: string) => `No dataset in datasets/${pipeline}/ yet`;

/** What each page shows when the only datasets are the user's. */
const expectations: Record<string, PageExpectation> = {
  "/": {plots: 0, tables: 0, text: ["Pipeline Lab"]},
  "/pages/lab/datasets": {plots: 0, tables: 1, text: ["shop", "yours", "kpi/shop", "weather"]},
  "/pages/lab/sql-over-parquet": {plots: 0, tables: 0, text: ["SQL over Parquet"]},
  "/pages/kpi": {
    plots: 1,
    tables: 1,
    text: ["shop", "your data", "orders", "Rows set aside", "1 row of the dataset shop", "orders.csv"]
  },
  "/pages/effluent": {plots: 1, tables: 0, text: ["plant-a", "your data"]},
  "/pages/meters": {plots: 1, tables: 0, text: ["london", "your data", "Rows set aside"]},
  "/pages/market": {plots: 1, tables: 0, text: ["btcusdt", "your data"]},
  "/pages/market/fidelity": {
    plots: 3,
    tables: 1,
    text: ["btcusdt", "Verdict: PASS", "tested against the capture over the 59.7 s both cover"]
  },
  "/pages/catalog": {
    plots: 1,
    tables: 3,
    text: ["orders.csv", "raw_weather", "weather", "shop", "set aside in 2 dataset(s)"]
  }
};

/** The project as a fresh clone has it (tracked and new files, nothing ignored), without datasets/. */
function copyProject(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: projectDir,
    encoding: "utf-8"
  })
    .split("\0")
    .filter((file) => file && !file.startsWith("datasets/") && existsSync(join(projectDir, file)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), {recursive: true});
    cpSync(join(projectDir, file), join(to, file));
  }
  symlinkSync(join(projectDir, "node_modules"), join(to, "node_modules"), "dir");
  // Framework's copies of the npm libraries (built from node_modules), so the build skips redoing them.
  const npmCache = join(projectDir, "src", ".observablehq", "cache", "_npm");
  if (existsSync(npmCache)) cpSync(npmCache, join(to, "src", ".observablehq", "cache", "_npm"), {recursive: true});
}

describe.skipIf(!!skipReason)("the site built from a user's datasets, without the simulations", () => {
  let work: string;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let netLog: string;
  let live: LiveUpload;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "lab-user-site-"));
    netLog = join(work, "net.log");
    copyProject(work);
    mkdirSync(join(work, "datasets", "kpi", "shop"), {recursive: true});
    writeFileSync(join(work, "datasets", "kpi", "shop", "orders.csv"), ordersCsv());
    // The meters readings fixture (London trial format, with its dataset.json), as a user drops it in.
    cpSync(join(projectDir, "test", "fixtures", "meters", "london"), join(work, "datasets", "meters", "london"), {
      recursive: true
    });
    // A plant's own export and factory feeds (a month, real-format: a row a minute, NA and blank
    // rows, logger holes), and a day's worth of Crypto Lake-style history, as users drop them in.
    writeRealSite({dir: join(work, "datasets", "effluent", "plant-a"), seed: 2});
    // The plant checking attribution on its own baseline: simulated factories on its export.
    await writeSiteTrial({
      source: join(work, "datasets", "effluent", "plant-a"),
      outDir: join(work, "datasets", "effluent", "plant-a-trial"),
      seed: 1
    });
    // The history comes with a recording of the same minute's live feed (fidelity-tested at build
    // time), and a real-format recording of another day forms a dataset of its own (older, so
    // the history stays the pages' default).
    const sim = await simulateMarketFiles({outDir: join(work, ".market-sim"), seed: 4, minutes: 1});
    mkdirSync(join(work, "datasets", "market", "btcusdt"), {recursive: true});
    for (const [from, name] of [
      [sim.trades, "trades.parquet"],
      [sim.book, "book.parquet"],
      [sim.deltas, "book_delta_v2.parquet"]
    ])
      cpSync(from!, join(work, "datasets", "market", "btcusdt", name!));
    writeFileSync(join(work, "datasets", "market", "btcusdt", "live.txt"), liveFeedRecording(sim.live!));
    rmSync(join(work, ".market-sim"), {recursive: true, force: true});
    const capture = join(work, "datasets", "market", "binance-rec", "btcusdt-2025-12-06.txt.gz");
    mkdirSync(dirname(capture), {recursive: true});
    writeFileSync(capture, gzipSync(recording.text));
    utimesSync(capture, new Date("2025-12-06T12:00:00Z"), new Date("2025-12-06T12:00:00Z"));
    mkdirSync(join(work, "datasets", "weather"), {recursive: true});
    writeFileSync(
      join(work, "datasets", "weather", "rainfall.csv"),
      "station,day,mm\nPune,2024-06-01,12.5\nPune,2024-06-02,0\nMumbai,2024-06-01,48.2\n"
    );
    // A second plant with no files of its own yet: its logger uploads to the MPCB server.
    live = await uploadLiveSite({projectDir: work, siteId: "plant-live", keysFile: join(work, "mpcb-site-keys")});
    await buildSite({projectDir: work, netLog});
    site = await serveStatic(join(work, "dist"));
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (work) rmSync(work, {recursive: true, force: true});
  });

  test("the build reached no other host, and every built page has expectations here", () => {
    expect(existsSync(netLog) ? readFileSync(netLog, "utf-8") : "").toBe("");
    expect(builtPages(join(work, "dist")).filter((route) => !expectations[route])).toEqual([]);
  });

  test("the MPCB server's live upload shows on the effluent page after the ingest: its readings, span and shock", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    try {
      await page.goto(`${site.origin}/pages/effluent/`);
      await page.selectOption("form.dataset-picker select", "plant-live");
      const utc = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");
      const summary = `This site: ${live.readings} export readings, ${utc(live.first)} to ${utc(live.last)} UTC; 0 factory feeds; 1 shock, the highest peak ${live.peak} mg/L.`;
      await page.waitForFunction((text) => document.body.innerText.includes(text), summary, {timeout: 60_000});
      const text = await page.evaluate(() => document.body.innerText);
      expect(text).toContain("real plant, no factory feeds");
      expect(text).toContain("your data: 1 file in effluent/plant-live/");
      // The inlet line through the uploaded readings and the shock's peak, drawn.
      const drawn = await page.evaluate(() => {
        const plot = document.querySelector("svg[class^='plot-']");
        return {
          line: plot?.querySelector("g[aria-label='line'] path")?.getAttribute("d")?.split(/[ML]/).length ?? 0,
          dots: plot?.querySelectorAll("g[aria-label='dot'] circle").length ?? 0
        };
      });
      expect(drawn.line).toBeGreaterThanOrEqual(live.readings);
      expect(drawn.dots).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  test("the market pages draw a capture-only dataset: its book at the end, its charts, and why it has no fidelity report", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console error: ${m.text()}`)));
    try {
      const drawn = () =>
        page.evaluate(() => ({
          text: document.body.innerText,
          // Plots with a drawn line or rect (the book, the mid, the spread).
          plots: Array.from(document.querySelectorAll("svg[class^='plot-']")).filter((svg) =>
            Array.from(svg.querySelectorAll("g[aria-label='line'] path, g[aria-label='rect'] rect")).some(
              (shape) => (shape as SVGGraphicsElement).getBBox().width > 0
            )
          ).length,
          errors: Array.from(document.querySelectorAll(".observablehq--error")).map((e) => e.textContent ?? "")
        }));
      const open = async (route: string, until: (text: string) => boolean) => {
        await page.goto(site.origin + routeFile({distDir: join(work, "dist"), route}));
        await page.waitForSelector("form.dataset-picker select");
        await page.selectOption("form.dataset-picker select", "binance-rec");
        const deadline = Date.now() + 60_000;
        let state = await drawn();
        while (!until(state.text) && !state.errors.length && Date.now() < deadline)
          (await page.waitForTimeout(250), (state = await drawn()));
        await page.waitForTimeout(500);
        const result = {...(await drawn()), readability: await readabilityProblems(page)};
        await page.screenshot({
          path: screenshotFile({projectDir, route, prefix: "user-datasets-binance-rec-"}),
          fullPage: true
        });
        return result;
      };
      const market = await open("/pages/market", (t) => t.includes("the best bid was"));
      expect(market.errors).toEqual([]);
      expect(market.text).toContain(
        `the best bid was ${usdt(lastBook.bids[0]![0])} USDT and the best ask ${usdt(lastBook.asks[0]![0])} USDT`
      );
      expect(market.text).toMatch(/the chart draws 1\d\d seconds of the book and [\d,]+ trades/);
      expect(market.text).toContain("No truth to measure this dataset's reconstruction against");
      expect(market.plots, "the book, the mid and the spread drawn").toBeGreaterThanOrEqual(3);
      expect(market.readability, "what a reader cannot read").toEqual([]);
      const fidelity = await open("/pages/market/fidelity", (t) => t.includes("holds a capture and no history"));
      expect(fidelity.errors).toEqual([]);
      expect(fidelity.text).toContain(
        "This dataset holds a capture and no history: its book is rebuilt from the capture by Binance's rules"
      );
      // The simulator calibrated on the recording's first half, against its second: all seven statistics.
      expect(fidelity.text).toMatch(
        /[0-7] of 7 statistics pass for the calibrated simulation, [0-7] of 7 for the default one/
      );
      expect(fidelity.readability, "what a reader cannot read").toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  test("a trial on the plant's export is scored on the effluent page: every injected shock to its factory", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.origin}/pages/effluent/`);
      await page.selectOption("form.dataset-picker select", "plant-a-trial");
      const row = () =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll("form[class^='inputs-'] table tbody tr"))
            .map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent?.trim() ?? ""))
            .find((cells) => cells.includes("robust_lag (ours)"))
        );
      await page.waitForFunction(() => document.body.innerText.includes("robust_lag (ours)"), null, {timeout: 60_000});
      const cells = (await row())!.filter((c) => c !== "");
      // 21 injected shocks (a month, five factories, one each a week), none of the export's own crossings blamed.
      expect(cells.slice(0, 3)).toEqual(["robust_lag (ours)", "21 / 21", expect.stringMatching(/^0 \/ [1-9]\d+$/)]);
      expect(await page.evaluate(() => document.body.innerText)).toContain("5 factory feeds");
    } finally {
      await page.close();
    }
  }, 120_000);

  for (const [route, expected] of Object.entries(expectations)) {
    test(`page ${route} shows the user's data or its empty state`, async () => {
      const check = await checkPage({
        browser,
        origin: site.origin,
        distDir: join(work, "dist"),
        route,
        expected,
        screenshotPath: screenshotFile({projectDir, route, prefix: "user-datasets-"})
      });
      expect(check.errors, "cell errors").toEqual([]);
      expect(check.problems).toEqual([]);
      expect(check.plots, "plots drawn").toBeGreaterThanOrEqual(expected.plots);
      expect(check.tables, "SQL tables with rows").toBeGreaterThanOrEqual(expected.tables);
      for (const text of expected.text ?? []) expect(check.text).toContain(text);
      expect(check.readability, "what a reader cannot read").toEqual([]);
      expect(check.readabilityNarrow, "what a reader cannot read at 900 px").toEqual([]);
    }, 120_000);
  }
});
