// EventSource checks against pushcodec's sse-interop-server, written against
// the browser's EventSource API so the same function runs in headless
// Chromium (passed as source to page.evaluate) and in Node with the
// `eventsource` package. Self-contained: no imports, no module scope.
//
// Returns [{name, ok, error}]: one check per event the script expects (type,
// data, lastEventId as dispatched, in order), "no extra events", and the
// Last-Event-ID header sent on reconnect after the server dropped the
// connection.
export async function eventSourceChecks(EventSourceImpl, base, fetchImpl, client) {
  const script = await (await fetchImpl(`${base}/script.json`)).json();
  const expected = script.expected;
  const types = [...new Set(expected.map((e) => e.type))];
  const got = [];
  const errors = [];
  await new Promise((resolve) => {
    const es = new EventSourceImpl(`${base}/events?client=${client}`);
    const timer = setTimeout(() => {
      errors.push('timeout: no "done" event within 30 s');
      es.close();
      resolve();
    }, 30000);
    for (const type of types) {
      es.addEventListener(type, (ev) => {
        got.push({ type: ev.type, data: ev.data, id: ev.lastEventId });
        if (ev.type === 'done') {
          clearTimeout(timer);
          es.close();
          resolve();
        }
      });
    }
  });
  const results = [];
  const show = (e) => (e ? JSON.stringify(e) : 'nothing');
  expected.forEach((want, i) => {
    const have = got[i];
    const ok = have && have.type === want.type && have.data === want.data && have.id === want.id;
    results.push({
      name: `event ${i + 1} ${JSON.stringify(want.type)} ${JSON.stringify(want.data).slice(0, 40)}`,
      ok: Boolean(ok),
      error: ok ? undefined : `dispatched ${show(have)}, expected ${show(want)}${errors.length ? ` (${errors.join('; ')})` : ''}`,
    });
  });
  results.push({
    name: 'no extra events',
    ok: got.length === expected.length,
    error: `dispatched ${got.length} events, expected ${expected.length}: ${JSON.stringify(got.slice(expected.length))}`,
  });
  const log = await (await fetchImpl(`${base}/log?client=${client}`)).json();
  const want = script.expected_last_event_id_on_reconnect;
  const ids = log.last_event_ids;
  results.push({
    name: `reconnect after the server dropped the connection sends Last-Event-ID: ${want}`,
    ok: ids.length >= 2 && ids[0] === null && ids[1] === want,
    error: `Last-Event-ID per request: ${JSON.stringify(ids)}, expected [null, ${JSON.stringify(want)}]`,
  });
  return results;
}
