// Node's `eventsource` package as an SSE peer of pushcodec.
//
//   node sse_peer.mjs eventsource BASE_URL
//       runs sse-checks.mjs against sse-interop-server (streams written by
//       pushcodec's SseEncoder); "node eventsource: N passed, M failed"
//   node sse_peer.mjs better-sse SSE_DECODE_BIN
//       writes an event stream with better-sse's EventBuffer (a third-party
//       encoder), pipes it through pushcodec's sse-decode in small writes and
//       compares the JSON lines with the events a browser dispatches;
//       "better-sse -> sse-decode: N passed, M failed"
import { EventSource } from 'eventsource';
import { EventBuffer } from 'better-sse';
import { spawn } from 'node:child_process';
import { eventSourceChecks } from './sse-checks.mjs';
import { report } from './ws-checks.mjs';

async function betterSse(bin) {
  const buf = new EventBuffer({ serializer: (d) => d });
  // Each step and what a browser must make of it (WHATWG HTML §9.2.6),
  // worked out by hand from the bytes better-sse writes.
  buf.retry(2500);
  buf.comment('keep-alive');
  buf.event('token').id('1').data('hello').dispatch();
  buf.data('line 1').data('line 2').data('').dispatch(); // three data fields
  buf.id('2').data('  spaces kept, κόσμε 😀').dispatch();
  buf.event('custom').data('{"a":1}').dispatch();
  buf.id('').data('id reset').dispatch();
  buf.data('').dispatch(); // empty data: dispatched as ""
  buf.event('ignored-no-data').dispatch(); // no data: nothing dispatched
  buf.data('type reset').dispatch();
  buf.id('3').dispatch(); // id without data: no event, but sets the last event ID
  buf.data('after id-only block').dispatch();
  buf.data('unterminated at EOF'); // never dispatched
  const expected = [
    { retry: 2500 },
    { type: 'token', data: 'hello', lastEventId: '1' },
    { type: 'message', data: 'line 1\nline 2\n', lastEventId: '1' },
    // better-sse writes "data:" + value with no space between, so a browser
    // removes the first of the two leading spaces ("If value starts with a
    // U+0020 SPACE character, remove it from value").
    { type: 'message', data: ' spaces kept, κόσμε 😀', lastEventId: '2' },
    { type: 'custom', data: '{"a":1}', lastEventId: '2' },
    { type: 'message', data: 'id reset', lastEventId: '' },
    { type: 'message', data: '', lastEventId: '' },
    { type: 'message', data: 'type reset', lastEventId: '' },
    { type: 'message', data: 'after id-only block', lastEventId: '3' },
  ];
  const stream = Buffer.from(buf.read(), 'utf8');
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  // Small writes, so CRLF pairs, fields and UTF-8 characters are split.
  for (let i = 0; i < stream.length; i += 7) child.stdin.write(stream.subarray(i, i + 7));
  child.stdin.end();
  const timer = setTimeout(() => child.kill(), 30000);
  const code = await exited;
  clearTimeout(timer);
  const got = out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const results = [{ name: 'sse-decode exits 0', ok: code === 0, error: `exit status ${code}` }];
  expected.forEach((want, i) => {
    const ok = JSON.stringify(got[i]) === JSON.stringify(want);
    results.push({ name: `item ${i + 1} ${JSON.stringify(want).slice(0, 60)}`, ok, error: `got ${JSON.stringify(got[i])}` });
  });
  results.push({ name: 'no extra items', ok: got.length === expected.length, error: `got ${got.length} items: ${JSON.stringify(got.slice(expected.length))}` });
  return results;
}

const [mode, arg] = process.argv.slice(2);
let failed = 1;
try {
  if (mode === 'eventsource' && arg) {
    const base = arg.replace(/\/$/, '');
    failed = report('node eventsource', await eventSourceChecks(EventSource, base, fetch, 'node-eventsource'));
  } else if (mode === 'better-sse' && arg) {
    failed = report('better-sse -> sse-decode', await betterSse(arg));
  } else {
    console.error('usage: node sse_peer.mjs eventsource BASE_URL | better-sse SSE_DECODE_BIN');
    process.exit(2);
  }
} catch (e) {
  console.log(`FAIL ${mode}: ${e.stack || e}`);
  console.log(`${mode}: 0 passed, 1 failed`);
}
process.exit(failed ? 1 : 0);
