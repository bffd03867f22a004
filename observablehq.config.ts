// Observable Framework configuration for Pipeline Lab. See README.md for how pages and loaders fit.
export default {
  root: "src",
  title: "Pipeline Lab",
  // Every link names its file (`/pages/market/fidelity.html`, `/pages/kpi/index.html`), so dist/
  // works on any static file server: none has to guess `.html` or map a folder to its index.
  preserveExtension: true,
  preserveIndex: true,
  // The theme's stylesheet plus the lab's table rule (see style.css).
  style: "style.css",
  pages: [
    {
      name: "Lab",
      open: true,
      pages: [
        {name: "How to add a dataset", path: "/pages/lab/datasets"},
        {name: "SQL over Parquet", path: "/pages/lab/sql-over-parquet"}
      ]
    },
    {
      name: "Effluent",
      open: true,
      pages: [{name: "Shocks and tampering", path: "/pages/effluent/"}]
    },
    {
      name: "Smart meters",
      open: true,
      pages: [{name: "Fleet, quality and voltage", path: "/pages/meters/"}]
    },
    {
      name: "Event KPIs",
      open: true,
      pages: [{name: "KPIs and anomalies", path: "/pages/kpi/"}]
    },
    {
      name: "Market",
      open: true,
      pages: [
        {name: "Order book replay", path: "/pages/market/"},
        {name: "Fidelity and capture", path: "/pages/market/fidelity"}
      ]
    },
    {
      name: "Catalog",
      open: true,
      pages: [{name: "Files, jobs and lineage", path: "/pages/catalog/"}]
    }
  ],
  // The default head links web fonts from a third party; the lab requests nothing off its origin.
  globalStylesheets: [],
  head: '<link rel="icon" href="data:,">',
  // Parquet is decoded with parquet-wasm and handed to DuckDB-WASM as Arrow, so no DuckDB
  // extension is needed (and none could be downloaded).
  duckdb: {extensions: {json: null, parquet: null}},
  interpreters: {".ts": [process.execPath, "--import", "tsx"]},
  search: true,
  footer: "Pipeline Lab — built offline from node_modules."
};
