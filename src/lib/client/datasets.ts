/**
 * The dataset picker every pipeline page starts with. Its rows come from the catalog's dataset list
 * (src/data/catalog/datasets.parquet); a page keeps only the chosen dataset's rows in every query:
 *
 *   const dataset = view(datasetPicker({datasets, pipeline: "kpi"}));
 *   sql`SELECT … FROM daily WHERE dataset = ${dataset}`
 *
 * The default is the newest real dataset (a folder holding files other than `*.sim.json`), else the
 * simulation, so a user's own files are what a page shows once they are there. A pipeline with no
 * dataset gets one plain block instead (the folder to create and a link to the how-to), its value
 * is null, and it hides the page's `.dataset-dependent` sections, whose queries then find no rows.
 */

/** One row of the catalog's dataset list (`catalog_datasets`). */
export interface DatasetRow {
  pipeline: string | null;
  dataset: string;
  folder: string;
  simulated: boolean;
  files: number | bigint;
  newest_mtime: number | Date | null;
  options_file: string | null;
}

const time = (value: DatasetRow["newest_mtime"]) => (value == null ? 0 : +value);

/** A pipeline's datasets, the default first: real ones newest first, then the simulations. */
export function pipelineDatasets({
  datasets,
  pipeline
}: {
  datasets: Iterable<DatasetRow>;
  pipeline: string;
}): DatasetRow[] {
  return Array.from(datasets, (d) => ({...d}))
    .filter((d) => d.pipeline === pipeline)
    .sort(
      (a, b) =>
        Number(a.simulated) - Number(b.simulated) ||
        time(b.newest_mtime) - time(a.newest_mtime) ||
        a.dataset.localeCompare(b.dataset)
    );
}

/** In words: what a dataset is and where it comes from. */
export function describeDataset(d: DatasetRow): string {
  const files = `${Number(d.files)} file${Number(d.files) === 1 ? "" : "s"} in ${d.folder}/`;
  const kind = d.simulated ? "simulated data" : "your data";
  const options = d.options_file ? `, options from ${d.options_file}` : ", default options";
  const updated =
    d.newest_mtime == null ? "" : `, newest file ${new Date(time(d.newest_mtime)).toISOString().slice(0, 10)}`;
  return `${kind}: ${files}${options}${updated}`;
}

export interface DatasetPickerOptions {
  datasets: Iterable<DatasetRow>;
  /** The pipeline's folder name under datasets/ (`kpi`, `effluent`, `meters`, `market`). */
  pipeline: string;
  /** Where the how-to lives, relative to the page (pages sit two folders below the site's root). */
  docsHref?: string;
}

/** A select over the pipeline's datasets (value: the dataset's name), or the empty state (value: null). */
export function datasetPicker({
  datasets,
  pipeline,
  docsHref = "../lab/datasets.html"
}: DatasetPickerOptions): HTMLElement & {value: string | null} {
  const rows = pipelineDatasets({datasets, pipeline});
  if (!rows.length) return emptyState({pipeline, docsHref});
  const form = document.createElement("form") as HTMLFormElement & {value: string | null};
  form.className = "dataset-picker";
  form.style.cssText = "display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem 1rem; margin: 1rem 0";
  const label = document.createElement("label");
  label.textContent = "Dataset";
  label.style.fontWeight = "bold";
  const select = document.createElement("select");
  select.name = "dataset";
  for (const d of rows) {
    const option = document.createElement("option");
    option.value = d.dataset;
    option.textContent = `${d.dataset}${d.simulated ? " (simulated)" : ""}`;
    select.append(option);
  }
  label.append(" ", select);
  const note = document.createElement("span");
  note.className = "muted";
  const describe = () => (note.textContent = describeDataset(rows.find((d) => d.dataset === select.value)!));
  describe();
  form.append(label, note);
  form.value = select.value;
  select.addEventListener("change", () => {
    form.value = select.value;
    describe();
    form.dispatchEvent(new Event("input", {bubbles: true}));
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  return form;
}

function emptyState({pipeline, docsHref}: {pipeline: string; docsHref: string}): HTMLElement & {value: null} {
  const block = document.createElement("div") as HTMLDivElement & {value: null};
  block.className = "card dataset-empty";
  block.value = null;
  const title = document.createElement("h2");
  title.textContent = `No dataset in datasets/${pipeline}/ yet`;
  const text = document.createElement("p");
  const folder = document.createElement("code");
  folder.textContent = `datasets/${pipeline}/<name>/`;
  const build = document.createElement("code");
  build.textContent = "npm run build";
  const link = document.createElement("a");
  link.href = docsHref;
  link.textContent = "How to add a dataset";
  text.append("Create the folder ", folder, ", put your files in it, and rebuild the site (", build, "). ", link, ".");
  // The page's dataset sections (and their entries in the table of contents) would only show
  // empty charts: they stay hidden.
  const style = document.createElement("style");
  style.textContent = "#observablehq-main .dataset-dependent, #observablehq-toc { display: none; }";
  block.append(title, text, style);
  return block;
}

/** One row of the quarantine summary (src/data/catalog/quarantine.parquet). */
export interface QuarantineRow {
  file: string;
  column: string;
  reason: string;
  rows: number | bigint;
  lines: string;
}

/** The sentence above a dataset's quarantine table. */
export function quarantineSummary({rows, dataset}: {rows: Iterable<QuarantineRow>; dataset: string | null}): string {
  const list = Array.from(rows);
  const total = list.reduce((n, r) => n + Number(r.rows), 0);
  if (!dataset) return "";
  if (!total) return `Every row of the dataset ${dataset} was kept: none was set aside.`;
  const files = new Set(list.map((r) => r.file)).size;
  const rowsWere = total === 1 ? "1 row of the dataset" : `${total.toLocaleString("en-US")} rows of the dataset`;
  const inFiles = `in ${files} file${files === 1 ? "" : "s"}`;
  return `${rowsWere} ${dataset} (${inFiles}) ${total === 1 ? "was" : "were"} set aside and ${total === 1 ? "is" : "are"} in no table or chart: grouped by file, column and reason, with the first lines.`;
}
