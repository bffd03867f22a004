/**
 * The site as a reader walks it: from the home page, through the sidebar's links, on whatever
 * server serves dist/. Every link the pages draw must answer 200 from a plain static server.
 */
import {existsSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "playwright-core";

/** The file URL path of a page route: `/pages/kpi` → `/pages/kpi/index.html`, `/pages/lab/x` → `/pages/lab/x.html`. */
export function routeFile({distDir, route}: {distDir: string; route: string}): string {
  const base = route.replace(/\/$/, "");
  if (existsSync(join(distDir, base, "index.html"))) return `${base}/index.html`;
  if (existsSync(join(distDir, `${base}.html`))) return `${base}.html`;
  throw new Error(`no page for ${route} in ${distDir}: expected ${base}/index.html or ${base}.html`);
}

/** The sidebar's links to pages of this site, resolved to absolute URLs, in sidebar order. */
export async function sidebarLinks(page: Page): Promise<{name: string; url: string}[]> {
  const links = await page.$$eval("#observablehq-sidebar a[href]", (anchors) =>
    anchors.map((a) => ({name: (a.textContent ?? "").trim(), url: (a as HTMLAnchorElement).href}))
  );
  const origin = new URL(page.url()).origin;
  return links.filter((link) => new URL(link.url).origin === origin);
}

/** Every same-origin link on the page (sidebar, text, pager), without its #fragment, deduplicated. */
export async function pageLinks(page: Page): Promise<string[]> {
  const hrefs = await page.$$eval("a[href]", (anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
  const origin = new URL(page.url()).origin;
  return [...new Set(hrefs.filter((href) => new URL(href).origin === origin).map((href) => href.replace(/#.*$/, "")))];
}
