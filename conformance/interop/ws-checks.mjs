// WebSocket checks written against the browser's WebSocket API, so the same
// function runs in headless Chromium (passed as source to page.evaluate)
// and in Node with the `ws` package's WebSocket class. It must stay
// self-contained: no imports, no references to module scope.
//
// Returns [{name, ok, error}] for checks against a pushcodec ws-echo server
// at `url`; the 1009 check sends `oversizeBytes` to `oversizeUrl` (an echo
// server with a smaller --max-message-size).
export async function browserApiChecks(WebSocketImpl, url, oversizeUrl, oversizeBytes) {
  const TIMEOUT_MS = 60000;
  const withTimeout = (p, what) =>
    Promise.race([
      p,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), TIMEOUT_MS)),
    ]);
  const open = (u) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocketImpl(u);
      ws.binaryType = 'arraybuffer';
      const queue = [];
      const waiters = [];
      ws.onmessage = (ev) => {
        const w = waiters.shift();
        if (w) w.resolve(ev.data);
        else queue.push(ev.data);
      };
      ws.closed = new Promise((res) => {
        ws.onclose = (ev) => {
          for (const w of waiters.splice(0)) w.reject(new Error(`closed ${ev.code} ${ev.reason}`));
          res({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
        };
      });
      ws.next = () =>
        queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => waiters.push({ resolve, reject }));
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error(`cannot connect to ${u}`));
    });
  const textOf = (n) => 'pushcodec-'.repeat(Math.floor(n / 10) + 1).slice(0, n);
  const binaryOf = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = i % 251;
    return b;
  };
  const sameBytes = (a, b) => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const describe = (d) => (typeof d === 'string' ? `text(${d.length})` : `binary(${d.byteLength})`);
  async function echo(data) {
    const ws = await open(url);
    ws.send(data);
    const got = await ws.next();
    if (typeof data === 'string') {
      if (got !== data) throw new Error(`echo ${describe(got)} differs from sent ${describe(data)}`);
    } else if (!(got instanceof ArrayBuffer) || !sameBytes(new Uint8Array(got), data)) {
      throw new Error(`echo ${describe(got)} differs from sent binary(${data.length})`);
    }
    ws.close(1000);
    await ws.closed;
  }
  async function clientClose() {
    const ws = await open(url);
    ws.close(4001, 'client bye');
    const c = await ws.closed;
    if (c.code !== 4001 || !c.wasClean) throw new Error(`close event ${JSON.stringify(c)}, expected the echo 4001, clean`);
  }
  // permessage-deflate (RFC 7692): the client offers it (browsers always
  // do), the server must have agreed (ws.extensions), and compressed
  // messages go through both ways: token-sized, 300 KB of text, 1 MiB of
  // binary.
  async function deflate() {
    const ws = await open(url);
    if (!/permessage-deflate/.test(ws.extensions)) throw new Error(`ws.extensions ${JSON.stringify(ws.extensions)}`);
    const msgs = [];
    for (let i = 0; i < 50; i++) msgs.push(`{"type":"token","index":${i},"text":" word${i % 17}"}`);
    msgs.push('κόσμε ' + textOf(300000));
    for (const m of msgs) {
      ws.send(m);
      const got = await ws.next();
      if (got !== m) throw new Error(`echo ${describe(got)} differs from sent ${describe(m)}`);
    }
    const bin = binaryOf(1 << 20);
    ws.send(bin);
    const got = await ws.next();
    if (!(got instanceof ArrayBuffer) || !sameBytes(new Uint8Array(got), bin)) throw new Error(`binary echo ${describe(got)} differs`);
    ws.close(1000);
    await ws.closed;
    return ws.extensions;
  }
  async function oversized() {
    const ws = await open(oversizeUrl);
    ws.send(binaryOf(oversizeBytes));
    const c = await ws.closed;
    if (c.code !== 1009) throw new Error(`close event ${JSON.stringify(c)}, expected 1009`);
  }
  const checks = [
    ["text 'Hello'", () => echo('Hello')],
    ['text multibyte', () => echo('κόσμε 😀 €')],
  ];
  for (const n of [0, 125, 126, 65536]) checks.push([`text ${n} B`, () => echo(textOf(n))]);
  for (const n of [0, 125, 126, 65536, 16 * 1024 * 1024]) checks.push([`binary ${n} B`, () => echo(binaryOf(n))]);
  checks.push(['client close 4001 + reason, echoed', clientClose]);
  checks.push(['permessage-deflate negotiated (ws.extensions), compressed echoes', deflate]);
  checks.push([`oversized message (${oversizeBytes} B) -> close 1009`, oversized]);
  const results = [];
  for (const [name, run] of checks) {
    try {
      await withTimeout(run(), name);
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, error: String(e && e.message ? e.message : e) });
    }
  }
  return results;
}

// Prints results and the closing line; returns the number of failures.
export function report(label, results) {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    if (r.ok) {
      passed++;
      console.log(`ok   ${r.name}`);
    } else {
      failed++;
      console.log(`FAIL ${r.name}: ${r.error}`);
    }
  }
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  return failed;
}
