// The HTTP side of the metrics endpoint: one GET per connection, answered and closed. Every
// local user can connect to it (127.0.0.1 is everyone's), and it runs in a tracer that may run
// as root, so what a client can make it hold is bounded: at most MAX_CONNECTIONS at once (a new
// one pushes out the oldest), REQUEST_MS from accept to the last byte of the answer, MAX_HEAD
// bytes of request. Without these, a user who started
// requests and sent one more header line each second (which resets idle timers) took all of the
// tracer's file descriptors: scrapes and every file the tracer opens failed
// (tests/security/metrics_connections.test.ts). node:net rather than node:http: neither Bun's
// nor Deno's node:http closes such a connection (headersTimeout, socket timeouts and destroy()
// of the socket its "connection" event gives left them open), while node:net's sockets close.
import type { Server, Socket } from "node:net";

/** Connections served at once; a scrape takes one for milliseconds. */
export const MAX_CONNECTIONS = 32;
/** From accept to the last byte of the answer. */
export const REQUEST_MS = 10_000;
/** The request line and headers; Prometheus sends a few hundred bytes. */
export const MAX_HEAD = 8192;

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const REASON: Record<number, string> = { 200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields Too Large", 500: "Internal Server Error" };

export interface ScrapeServer {
  server: Server;
  /** Stops listening and closes every open connection. */
  close(): void;
}

/** A server answering each request's method and path with `answer`; listen() it. */
export async function scrapeServer(answer: (method: string, path: string) => Answer): Promise<ScrapeServer> {
  const net = await import("node:net");
  // Open connections, oldest first.
  const open = new Set<Socket>();
  const server = net.createServer((socket) => {
    // Past the limit the oldest goes, whatever it is doing: a scrape is over in milliseconds, so
    // what is old is a client that sends or reads slowly, and the new one may be Prometheus.
    if (open.size >= MAX_CONNECTIONS) {
      const oldest = open.keys().next().value!;
      oldest.destroy();
      open.delete(oldest);
    }
    open.add(socket);
    const deadline = setTimeout(() => socket.destroy(), REQUEST_MS);
    deadline.unref?.();
    socket.on("error", () => {});
    socket.on("close", () => (clearTimeout(deadline), open.delete(socket)));
    socket.setEncoding("latin1");
    let head = "";
    const onData = (chunk: string) => {
      head += chunk;
      const end = head.indexOf("\r\n\r\n");
      if (end < 0 && head.length <= MAX_HEAD) return;
      socket.off("data", onData);
      const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/.exec(head);
      const a = end < 0 || end > MAX_HEAD ? { status: 431, contentType: "text/plain", body: "tsbpf: request too large\n" }
        : !m ? { status: 400, contentType: "text/plain", body: "tsbpf: not an HTTP/1 request\n" }
        : answer(m[1], m[2]);
      const body = new TextEncoder().encode(a.body);
      socket.write(`HTTP/1.1 ${a.status} ${REASON[a.status] ?? ""}\r\ncontent-type: ${a.contentType}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`, "latin1");
      socket.end(body);
    };
    socket.on("data", onData);
  });
  return {
    server,
    close() {
      server.close();
      for (const socket of open) socket.destroy();
    },
  };
}
