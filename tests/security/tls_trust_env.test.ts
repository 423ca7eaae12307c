// `tsbpf run URL` downloads the script root runs over TLS, which proves it came from the link's
// host only if root trusts the right certificates. Both runtimes add to their trust the
// certificates a variable names (Bun: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, SSL_CERT_DIR; Deno:
// DENO_CERT, and SSL_CERT_FILE with DENO_TLS_CA_STORE=system), and sudo -E keeps them as it keeps
// HOME, with HTTPS_PROXY: another user's certificate authority and proxy then answered for any
// host, and root ran their script under the link's name. Bun's NODE_TLS_REJECT_UNAUTHORIZED=0
// needs no authority: it checks no certificate. Here nobody makes such an authority and
// runs such a proxy; root runs `tsbpf run --yes https://gist.example.test/trace.ts` through the
// tsbpf command: the script nobody serves must not run.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asNobody, bareEnv, ROOT } from "./attacker.ts";

// nobody's proxy: for each CONNECT, says yes and answers as the host asked for, with a
// certificate its own authority signed, serving its script to every request.
const PROXY = `
import socket, ssl, sys, threading
port_file, cert, key, body = sys.argv[1], sys.argv[2], sys.argv[3], open(sys.argv[4], "rb").read()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
def handle(c):
    try:
        head = b""
        while b"\\r\\n\\r\\n" not in head:
            head += c.recv(4096) or b"\\r\\n\\r\\n"
        if not head.startswith(b"CONNECT "):
            return c.close()
        c.sendall(b"HTTP/1.1 200 Connection established\\r\\n\\r\\n")
        t = ctx.wrap_socket(c, server_side=True)
        req = b""
        while b"\\r\\n\\r\\n" not in req:
            req += t.recv(4096) or b"\\r\\n\\r\\n"
        t.sendall(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/typescript\\r\\ncontent-length: %d\\r\\nconnection: close\\r\\n\\r\\n" % len(body) + body)
        t.close()
    except Exception:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
`;

const EVIL = `import process from "node:process";\nconsole.log("nobody's script ran as uid " + process.getuid());\n`;
const HOST = "gist.example.test";

let shared = "", dir = "", home = "", port = 0;
let proxy: ChildProcess | undefined, proxyErrors = "";

before(async () => {
  shared = mkdtempSync("/tmp/tsbpf-sec-tls-");
  chmodSync(shared, 0o755);
  home = mkdtempSync("/tmp/tsbpf-sec-tls-home-");
  dir = join(shared, "nobody");
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  const sh = (script: string) => asNobody(["sh", "-ec", script]);
  sh(`cd ${dir}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=nobody's authority" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout host.key -out host.csr -subj "/CN=${HOST}" 2>/dev/null
printf 'subjectAltName=DNS:${HOST}\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > host.ext
openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out host.pem -days 2 -extfile host.ext 2>/dev/null
mkdir certs && cp ca.pem certs/ && openssl rehash certs
cat > evil.ts <<'EOF'
${EVIL}EOF
cat > proxy.py <<'EOF'
${PROXY}
EOF`);
  proxy = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", `${dir}/proxy.py`, `${dir}/port`, `${dir}/host.pem`, `${dir}/host.key`, `${dir}/evil.ts`], { stdio: ["ignore", "ignore", "pipe"] });
  proxy.stderr!.on("data", (d) => (proxyErrors += d));
  for (let i = 0; i < 400 && !existsSync(`${dir}/port`); i++) await new Promise((r) => setTimeout(r, 25));
  port = existsSync(`${dir}/port`) ? Number(readFileSync(`${dir}/port`, "utf8")) : 0;
});

after(() => {
  proxy?.kill("SIGKILL");
  rmSync(shared, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

const CASES: [string, string, () => Record<string, string>][] = [
  ["bun", "NODE_EXTRA_CA_CERTS", () => ({ NODE_EXTRA_CA_CERTS: `${dir}/ca.pem` })],
  ["bun", "SSL_CERT_FILE", () => ({ SSL_CERT_FILE: `${dir}/ca.pem` })],
  ["deno", "DENO_CERT", () => ({ DENO_CERT: `${dir}/ca.pem` })],
  ["deno", "SSL_CERT_FILE", () => ({ SSL_CERT_FILE: `${dir}/ca.pem`, DENO_TLS_CA_STORE: "system" })],
  ["bun", "SSL_CERT_DIR", () => ({ SSL_CERT_DIR: `${dir}/certs` })],
  // No certificate needed: Bun then checks none.
  ["bun", "NODE_TLS_REJECT_UNAUTHORIZED", () => ({ NODE_TLS_REJECT_UNAUTHORIZED: "0" })],
];

for (const [runtime, what, env] of CASES) {
  test(`tsbpf run URL on ${runtime} does not trust the certificates of a preserved ${what}`, { timeout: 120_000 }, () => {
    assert.ok(port > 0, `nobody's proxy did not start (the test's setup failed): ${proxyErrors}`);
    const proxyUrl = `http://127.0.0.1:${port}`;
    const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "run", "--yes", `https://${HOST}/trace.ts`], {
      cwd: "/", encoding: "utf8", timeout: 100_000,
      env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime, HOME: home, HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, ...env() },
    });
    assert.doesNotMatch(r.stdout, /nobody's script ran/, `root ran the script nobody's proxy served: ${r.stdout}${r.stderr}`);
    assert.notEqual(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`Not downloading https://${HOST}/trace.ts: ${what}=`), r.stderr);
  });
}

for (const [runtime, variable] of [["bun", "NODE_EXTRA_CA_CERTS"], ["deno", "DENO_CERT"]]) {
  test(`tsbpf run URL on ${runtime} still trusts the certificates of a ${variable} root alone can change (a company proxy's authority)`, { timeout: 120_000 }, () => {
    assert.ok(port > 0, `nobody's proxy did not start (the test's setup failed): ${proxyErrors}`);
    // Root's own copy, in root's private directory: root chose to trust that authority.
    const own = mkdtempSync(join(home, "ca-"));
    spawnSync("cp", [`${dir}/ca.pem`, `${own}/ca.pem`]);
    const proxyUrl = `http://127.0.0.1:${port}`;
    const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "run", "--yes", `https://${HOST}/trace.ts`], {
      cwd: "/", encoding: "utf8", timeout: 100_000,
      env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime, HOME: home, HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, [variable]: `${own}/ca.pem` },
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /nobody's script ran/);
    assert.doesNotMatch(r.stderr, /Not downloading/);
  });
}

// Root's own script run by `tsbpf run`, fetching over https: its runtime (the child) must not
// trust nobody's certificates either.
const FETCHING = `const text = await fetch("https://${HOST}/data").then((r) => r.text(), (e) => "refused: " + e);
console.log(text.includes("nobody's script") ? "the answer was nobody's" : "the answer was not nobody's");
`;

for (const [runtime, what, env] of [CASES[0], CASES[2], CASES[5]]) {
  test(`tsbpf run script.ts on ${runtime}: the script's https fetch does not trust the certificates of a preserved ${what}`, { timeout: 120_000 }, () => {
    assert.ok(port > 0, `nobody's proxy did not start (the test's setup failed): ${proxyErrors}`);
    const script = join(home, "fetching.ts");
    writeFileSync(script, FETCHING);
    const proxyUrl = `http://127.0.0.1:${port}`;
    const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "run", script], {
      cwd: "/", encoding: "utf8", timeout: 100_000,
      env: { ...bareEnv(), PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime, HOME: home, HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, ...env() },
    });
    assert.match(r.stdout, /the answer was not nobody's/, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`the script runs without ${what}`), r.stderr);
  });
}
