/**
 * One built page in Chromium, as a reader gets it: every cell run, and what went wrong on the way
 * (console and page errors, failed requests, requests off the origin, cell errors), what it drew
 * (plots with a data mark, tables with rows), its text, and what a reader cannot read at 1280 and
 * 900 px (readability.ts). Shared by every built-site suite, whatever datasets the site was built from.
 */
import {join} from "node:path";
import type {Browser} from "playwright-core";
import {routeFile} from "./links.js";
import type {PageExpectation} from "./pages.js";
import {readabilityProblems} from "./readability.js";

export interface PageCheck {
  /** Console errors, page errors, failed or off-origin requests, HTTP errors. */
  problems: string[];
  /** The text of every `.observablehq--error` (a cell that threw). */
  errors: string[];
  plots: number;
  tables: number;
  text: string;
  readability: string[];
  readabilityNarrow: string[];
}

export async function checkPage({
  browser,
  origin,
  distDir,
  route,
  expected,
  screenshotPath
}: {
  browser: Browser;
  origin: string;
  distDir: string;
  route: string;
  expected: PageExpectation;
  screenshotPath?: string;
}): Promise<PageCheck> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`)
  );
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:"))
      problems.push(`request off the origin: ${url}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const response = await page.goto(origin + routeFile({distDir, route}));
  if (response?.status() !== 200) problems.push(`HTTP ${response?.status()} for the page itself`);
  const counts = () =>
    page.evaluate(() => {
      // A plot counts only if a data mark (not an axis, rule or text) drew a shape with a size.
      const dataMark =
        /^(bar|line|dot|area|rect|cell|link|arrow|geo|image|vector|hexagon|density|contour|raster|tick)$/;
      const plots = Array.from(document.querySelectorAll("svg[class^='plot-']")).filter((svg) =>
        Array.from(svg.querySelectorAll("g[aria-label]")).some(
          (g) =>
            dataMark.test(g.getAttribute("aria-label") ?? "") &&
            Array.from(g.querySelectorAll("path, rect, circle, line")).some((shape) => {
              const box = (shape as SVGGraphicsElement).getBBox();
              return box.width > 0 || box.height > 0;
            })
        )
      ).length;
      const tables = Array.from(document.querySelectorAll("form[class^='inputs-'] table")).filter(
        (t) => t.querySelectorAll("tbody tr").length > 0
      ).length;
      const loading = document.querySelectorAll("observablehq-loading").length;
      const errors = Array.from(document.querySelectorAll(".observablehq--error")).map((e) => e.textContent ?? "");
      return {plots, tables, loading, errors, text: document.body.innerText};
    });
  let state = await counts();
  const deadline = Date.now() + 90_000;
  while (
    (state.loading > 0 || state.plots < expected.plots || state.tables < expected.tables) &&
    !state.errors.length &&
    Date.now() < deadline
  ) {
    await page.waitForTimeout(250);
    state = await counts();
  }
  await page.waitForTimeout(500); // let late requests and errors surface
  state = await counts();
  const readability = await readabilityProblems(page);
  // Narrower, where grid columns are narrowest (the sidebar still shown): charts that are
  // scaled rather than laid out at their width shrink their text here.
  await page.setViewportSize({width: 900, height: 720});
  await page.waitForTimeout(500);
  const readabilityNarrow = await readabilityProblems(page);
  // What the reader met; the full-page screenshot below stretches the viewport, which is no reader's.
  const met = [...problems];
  if (screenshotPath) {
    await page.setViewportSize({width: 1280, height: 720});
    await page.screenshot({path: screenshotPath, fullPage: true});
  }
  await page.close();
  return {
    problems: met,
    errors: state.errors,
    plots: state.plots,
    tables: state.tables,
    text: state.text,
    readability,
    readabilityNarrow
  };
}

/** Where a page's screenshot goes: `test-results/<prefix><route with _ for />.png`. */
export function screenshotFile({
  projectDir,
  route,
  prefix = ""
}: {
  projectDir: string;
  route: string;
  prefix?: string;
}): string {
  return join(
    projectDir,
    "test-results",
    `${prefix}${route === "/" ? "index" : route.slice(1).replaceAll("/", "_")}.png`
  );
}
