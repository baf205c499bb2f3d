// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
// no browser is downloaded) as a WebSocket and EventSource peer of pushcodec.
//
//   node chromium.mjs ws URL OVERSIZE_URL OVERSIZE_BYTES
//       the browser-API checks of ws-checks.mjs, run by the page's own
//       WebSocket against pushcodec's ws-echo; "chromium WebSocket: N passed, M failed"
//   node chromium.mjs sse BASE_URL
//       opens BASE_URL/ (a page served by sse-interop-server), runs
//       sse-checks.mjs's EventSource checks in it; "chromium EventSource: N passed, M failed"
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserApiChecks, report } from './ws-checks.mjs';
import { eventSourceChecks } from './sse-checks.mjs';

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

async function withBrowser(fn) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'pushcodec-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: FLAGS,
    timeout: 60000,
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(240000);
    page.on('console', (m) => console.error(`[page] ${m.text()}`));
    return await fn(page);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

// A blank page on 127.0.0.1: Chromium's Local Network Access checks block a
// page of an unknown origin (about:blank) from opening ws://127.0.0.1.
function blankPageServer() {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>pushcodec interop</title>');
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const [mode, ...args] = process.argv.slice(2);
let failed = 1;
try {
  if (mode === 'ws' && args.length === 3) {
    const blank = await blankPageServer();
    const results = await withBrowser(async (page) => {
      await page.goto(`http://127.0.0.1:${blank.address().port}/`);
      return page.evaluate(
        ([src, url, oversizeUrl, bytes]) => {
          // eslint-disable-next-line no-new-func
          const fn = new Function(`return (${src})`)();
          return fn(WebSocket, url, oversizeUrl, bytes);
        },
        [browserApiChecks.toString(), args[0], args[1], Number(args[2])],
      );
    });
    blank.close();
    failed = report('chromium WebSocket', results);
  } else if (mode === 'sse' && args.length === 1) {
    const base = args[0].replace(/\/$/, '');
    const results = await withBrowser(async (page) => {
      await page.goto(`${base}/`);
      return page.evaluate(
        ([src, b]) => {
          const fn = new Function(`return (${src})`)();
          return fn(EventSource, b, fetch);
        },
        [eventSourceChecks.toString(), base],
      );
    });
    failed = report('chromium EventSource', results);
  } else {
    console.error('usage: node chromium.mjs ws URL OVERSIZE_URL OVERSIZE_BYTES | sse BASE_URL');
    process.exit(2);
  }
} catch (e) {
  console.log(`FAIL chromium ${mode}: ${e.stack || e}`);
  console.log(`chromium ${mode}: 0 passed, 1 failed`);
  failed = 1;
}
process.exit(failed ? 1 : 0);
