// Loopback-only network guard, preloaded (`node --import`) into the build, the dev server and
// every data loader they spawn (through NODE_OPTIONS). The lab must build and run with no host
// but this machine: any TCP/TLS connection to another host is refused at the socket, reported
// loudly on stderr, and appended to $LAB_NET_LOG when set (the build test asserts it stays
// empty). Plain JavaScript so that it loads before any TypeScript loader is registered.
import {appendFileSync} from "node:fs";
import net from "node:net";
import tls from "node:tls";

const isLoopback = (host) =>
  host === undefined ||
  host === "" ||
  host === "localhost" ||
  host === "::1" ||
  host === "[::1]" ||
  /^127\./.test(host);

function hostOf(args) {
  const [first, second] = args;
  if (first && typeof first === "object") return first.path ? undefined : (first.host ?? first.hostname ?? "localhost");
  if (typeof first === "string" && isNaN(Number(first))) return undefined; // a unix socket path
  return typeof second === "string" ? second : "localhost";
}

function guard(original, label) {
  return function guardedConnect(...args) {
    const host = hostOf(args);
    if (!isLoopback(host)) {
      const message = `net-guard: refused ${label} connection to ${host} — the lab runs offline and talks only to 127.0.0.1`;
      if (process.env.LAB_NET_LOG)
        appendFileSync(process.env.LAB_NET_LOG, `${new Date().toISOString()} pid=${process.pid} ${label} ${host}\n`);
      process.stderr.write(`\x1b[31m${message}\x1b[0m\n`);
      throw new Error(message);
    }
    return original.apply(this, args);
  };
}

net.connect = guard(net.connect, "tcp");
net.createConnection = guard(net.createConnection, "tcp");
tls.connect = guard(tls.connect, "tls");
