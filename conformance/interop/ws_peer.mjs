// Node `ws` as a WebSocket peer of pushcodec.
//
//   node ws_peer.mjs client ws://127.0.0.1:PORT OVERSIZE_URL OVERSIZE_BYTES
//       checks against pushcodec's ws-echo server: the browser-API checks of
//       ws-checks.mjs plus fragmented sends, ping/pong and invalid UTF-8
//       (which only a library can send); closing line
//       "node-ws client: N passed, M failed", exit 1 on failure.
//   node ws_peer.mjs server PORT [MAX_SECONDS]
//       echo server with the "cmd:" commands of ws_peer.py, for
//       pushcodec's ws-interop-client; 127.0.0.1 only; permessage-deflate
//       on, every message compressed (threshold 0).
import { WebSocket, WebSocketServer } from 'ws';
import { browserApiChecks, report } from './ws-checks.mjs';

const MAX = 64 * 1024 * 1024;

function open(url, perMessageDeflate = true) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: MAX, perMessageDeflate });
    const queue = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data: Buffer.from(data), isBinary };
      const w = waiters.shift();
      if (w) w.resolve(m);
      else queue.push(m);
    });
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`closed ${code}`));
      res({ code, reason: reason.toString() });
    }));
    ws.next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => waiters.push({ resolve, reject })));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function fragmentedText(url) {
  const ws = await open(url);
  ws.send('Hel', { fin: false });
  ws.send('lo', { fin: false });
  ws.send(' κόσμε', { fin: true });
  const m = await ws.next();
  if (m.isBinary || m.data.toString() !== 'Hello κόσμε') throw new Error(`echo ${m.data.toString()}`);
  ws.close(1000);
  await ws.closed;
}

async function fragmentedBinary(url) {
  const ws = await open(url);
  const parts = [Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(70000, 2)];
  parts.forEach((p, i) => ws.send(p, { binary: true, fin: i === parts.length - 1 }));
  const m = await ws.next();
  if (!m.isBinary || !m.data.equals(Buffer.concat(parts))) throw new Error(`echo of ${m.data.length} bytes differs`);
  ws.close(1000);
  await ws.closed;
}

async function pingPong(url) {
  const ws = await open(url);
  const pong = new Promise((resolve) => ws.once('pong', (data) => resolve(data.toString())));
  ws.ping('node-ping');
  const got = await pong;
  if (got !== 'node-ping') throw new Error(`pong payload ${got}`);
  ws.close(1000);
  await ws.closed;
}

async function expectClose(url, send, code) {
  const ws = await open(url);
  ws.on('error', () => {});
  send(ws);
  const c = await ws.closed;
  if (c.code !== code) throw new Error(`close ${c.code} ${c.reason}, expected ${code}`);
}

// permessage-deflate with `offer` (ws's perMessageDeflate options): the
// parameters the server agreed to must include `expect`; then compressed
// messages both ways.
async function deflateParams(url, offer, expect) {
  const ws = await open(url, { ...offer, threshold: 0 });
  const pmd = ws._extensions['permessage-deflate'];
  if (!pmd) throw new Error(`not negotiated: ${ws.extensions}`);
  for (const [k, v] of Object.entries(expect)) {
    if (pmd.params[k] !== v) throw new Error(`agreed ${JSON.stringify(pmd.params)}, expected ${k}=${v}`);
  }
  const msgs = [];
  for (let i = 0; i < 50; i++) msgs.push(Buffer.from(`{"type":"token","index":${i}}`));
  msgs.push(Buffer.from('pushcodec '.repeat(30000)));
  for (const m of msgs) {
    ws.send(m, { binary: false });
    const got = await ws.next();
    if (got.isBinary || !got.data.equals(m)) throw new Error(`echo of ${m.length} bytes differs`);
  }
  ws.close(1000);
  await ws.closed;
}

async function runClient(url, oversizeUrl, oversizeBytes) {
  const results = await browserApiChecks(WebSocket, url, oversizeUrl, oversizeBytes);
  const extra = [
    ['fragmented text send', () => fragmentedText(url)],
    ['fragmented binary send', () => fragmentedBinary(url)],
    ['ping -> pong', () => pingPong(url)],
    ['invalid UTF-8 text -> close 1007', () =>
      expectClose(url, (ws) => ws.send(Buffer.from('valid \xce\xba then \xed\xa0\x80', 'latin1'), { binary: false }), 1007)],
    ['invalid UTF-8 across fragments -> close 1007', () =>
      expectClose(url, (ws) => {
        ws.send(Buffer.from([0xf0, 0x9f]), { binary: false, fin: false });
        ws.send(Buffer.from([0x98]), { binary: false, fin: true });
      }, 1007)],
    ['permessage-deflate offering serverMaxWindowBits 9 + serverNoContextTakeover', () =>
      deflateParams(url, { serverMaxWindowBits: 9, serverNoContextTakeover: true },
        { server_max_window_bits: 9, server_no_context_takeover: true })],
    ['permessage-deflate offering clientMaxWindowBits 10 + clientNoContextTakeover', () =>
      deflateParams(url, { clientMaxWindowBits: 10, clientNoContextTakeover: true },
        { client_max_window_bits: 10, client_no_context_takeover: true })],
    ['permessage-deflate bomb (64 MiB of zeros) -> close 1009', () =>
      expectClose(oversizeUrl, (ws) => ws.send(Buffer.alloc(64 << 20), { binary: true }), 1009)],
  ];
  for (const [name, run] of extra) {
    try {
      await Promise.race([run(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 60000))]);
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, error: String(e.message || e) });
    }
  }
  return report('node-ws client', results) ? 1 : 0;
}

function runServer(port, maxSeconds) {
  let lastClose = null;
  const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: MAX, perMessageDeflate: { threshold: 0 } });
  wss.on('listening', () => console.log(`listening ${wss.address().port}`));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      // Normal closes of other checks must not hide the interesting one.
      if (code !== 1000 && code !== 1005) lastClose = `${code} ${reason.toString()}`;
    });
    ws.on('message', async (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (text === null || !text.startsWith('cmd:')) {
        ws.send(data, { binary: isBinary });
        return;
      }
      const [name, ...rest] = text.slice(4).split(' ');
      if (name === 'fragments') {
        ws.send('Hel', { fin: false });
        ws.send('lo', { fin: true });
        ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
        ws.send(Buffer.from([3]), { binary: true, fin: true });
      } else if (name === 'invalid-utf8') {
        ws.send(Buffer.from([0xce, 0xba, 0xff]), { binary: false });
      } else if (name === 'big') {
        ws.send(Buffer.alloc(Number(rest[0])), { binary: true });
      } else if (name === 'close') {
        ws.close(Number(rest[0]), rest.slice(1).join(' '));
      } else if (name === 'ping') {
        ws.once('pong', (p) => ws.send(p.toString() === 'srv-ping' ? 'pong ok' : `wrong pong ${p}`));
        ws.ping('srv-ping');
      } else if (name === 'extensions') {
        const pmd = ws._extensions['permessage-deflate'];
        ws.send(pmd ? `permessage-deflate ${JSON.stringify(pmd.params)}` : 'none');
      } else if (name === 'last-close') {
        for (let i = 0; i < 40 && lastClose === null; i++) await new Promise((r) => setTimeout(r, 50));
        ws.send(lastClose === null ? 'None None' : lastClose);
        lastClose = null;
      } else {
        ws.send(`unknown command ${text}`);
      }
    });
  });
  setTimeout(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  }, maxSeconds * 1000).unref();
  setTimeout(() => process.exit(0), maxSeconds * 1000);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'client' && args.length >= 3) {
  process.exitCode = await runClient(args[0], args[1], Number(args[2]));
  process.exit();
} else if (mode === 'server' && args.length >= 1) {
  runServer(Number(args[0]), Number(args[1] || 300));
} else {
  console.error('usage: node ws_peer.mjs client URL OVERSIZE_URL OVERSIZE_BYTES | server PORT [MAX_SECONDS]');
  process.exit(2);
}
