/**
 * Serves a built site from disk on 127.0.0.1 the way a plain static file server does: a path is a
 * file, a folder answers with its index.html (a folder named without its slash is redirected to
 * it), and nothing else: no `.html` guessed for a clean URL. The site must work on such a server.
 */
import {createReadStream, existsSync, statSync} from "node:fs";
import {createServer, type Server} from "node:http";
import type {AddressInfo} from "node:net";
import {extname, join, normalize} from "node:path";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".parquet": "application/vnd.apache.parquet",
  ".csv": "text/csv"
};

export async function serveStatic(root: string): Promise<{origin: string; close(): Promise<void>; server: Server}> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(path) && statSync(path).isDirectory()) {
      if (!url.pathname.endsWith("/")) return void res.writeHead(301, {location: `${url.pathname}/`}).end();
      path = join(path, "index.html");
    }
    if (!existsSync(path)) return void res.writeHead(404, {"content-type": "text/plain"}).end("not found");
    res.writeHead(200, {"content-type": types[extname(path)] ?? "application/octet-stream"});
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  };
}
