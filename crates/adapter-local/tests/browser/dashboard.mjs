// The dashboard in a real browser: Debian's chromium driven by playwright-core (npm, pinned in
// .ci/browser-peers.sh). Started by tests/dashboard_browser.rs against a served test app, or by
// hand for the README's screenshot:
//
//   node dashboard.mjs test  BASE_URL SHOT_DIR     # the end-to-end checks, screenshots in SHOT_DIR
//   node dashboard.mjs shoot BASE_URL OUT.png SECS # SECS of load on POST /orders, then a screenshot
//   node dashboard.mjs watch BASE_URL OUT.png SECS # the page open for SECS while the server is
//                                                  # loaded: prints what it applied and how long the
//                                                  # main thread was busy
//
// FAASPORT_PLAYWRIGHT_CORE is the playwright-core directory, FAASPORT_CHROMIUM the browser.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.FAASPORT_PLAYWRIGHT_CORE);
const [mode, base, out, secs] = process.argv.slice(2);
const STEP = 15_000;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function open() {
  const profile = mkdtempSync(join(tmpdir(), 'faasport-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.FAASPORT_CHROMIUM || '/usr/bin/chromium',
    headless: true, // playwright adds --headless
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(STEP);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const close = async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); };
  return { page, errors, close };
}

async function fire(page, fields) {
  await page.selectOption('#try-function', fields.function);
  await page.selectOption('#try-kind', fields.kind);
  for (const [id, value] of Object.entries(fields.inputs || {})) await page.fill(id, value);
  const before = await page.textContent('#try-summary');
  await page.click('#try-fire');
  await page.waitForFunction((b) => {
    const s = document.querySelector('#try-summary').textContent;
    return s && s !== b;
  }, before);
  return {
    summary: await page.textContent('#try-summary'),
    output: await page.textContent('#try-output'),
    logs: await page.textContent('#try-logs'),
  };
}

const cellOf = (fn, k) => `tr[data-function="${fn}"] td[data-k="${k}"]`;

async function test() {
  const { page, errors, close } = await open();
  try {
    await page.goto(`${base}/_faasport/`);
    await page.waitForSelector('#live[data-state="live"]');
    check(await page.textContent(cellOf('create', 'invocations')) === '0', 'no invocation yet');
    const chart = page.locator('#chart');
    check(await chart.getAttribute('data-cold-marks') === '0', 'no cold start drawn yet');

    // An HTTP event through the form: result, log lines, counters, chart.
    const http = await fire(page, {
      function: 'create', kind: 'http',
      inputs: { '#try-method': 'POST', '#try-path': '/orders/ada', '#try-body': '' },
    });
    check(http.summary.includes('ok') && http.summary.includes('cold start'), http.summary);
    check(http.output.startsWith('HTTP 201') && http.output.includes('created ada'), http.output);
    check(http.logs.includes('INFO') && http.logs.includes('creating an order name=ada'), http.logs);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '1',
      cellOf('create', 'invocations'));
    await page.waitForFunction(() => Number(document.querySelector('#chart').dataset.coldMarks) >= 1);
    await page.waitForFunction(() => Number(document.querySelector('#chart').dataset.max) >= 1);
    await page.screenshot({ path: join(out, 'dashboard-try-http.png'), fullPage: true });

    // A topic message through the form, at the subscriber.
    const topic = await fire(page, {
      function: 'bill', kind: 'topic', inputs: { '#try-name': 'orders', '#try-body': 'from the form' },
    });
    check(topic.summary.includes('ok'), topic.summary);
    check(topic.logs.includes('WARN') && topic.logs.includes('billing'), topic.logs);
    await page.waitForFunction((s) => Number(document.querySelector(s).textContent) >= 2,
      cellOf('bill', 'invocations'));
    await page.waitForSelector('div[data-topic="orders"] li:has-text("ada")');

    // An order whose billing fails once: it is dead-lettered; a redrive takes it off the list.
    const poison = await fire(page, {
      function: 'create', kind: 'http', inputs: { '#try-path': '/orders/poison', '#try-body': '' },
    });
    check(poison.output.startsWith('HTTP 201'), poison.output);
    const row = page.locator('#dead-rows tr[data-dead-letter]');
    await row.first().waitFor();
    check(await row.count() === 1, 'one dead letter');
    const id = await row.first().getAttribute('data-dead-letter');
    check((await row.first().textContent()).includes('poison'), 'the dead letter names why');
    await page.screenshot({ path: join(out, 'dashboard-dead-letter.png'), fullPage: true });
    await page.click(`button[data-redrive="${id}"]`);
    await page.waitForSelector(`tr[data-dead-letter="${id}"]`, { state: 'detached' });
    await page.waitForFunction(() => document.querySelector('#dead-total').textContent === '');
    await page.screenshot({ path: join(out, 'dashboard-dead-letters.png'), fullPage: true });

    // A receipt written by `bill`, listed with a download link.
    await page.click('details[data-bucket="receipts"] summary');
    const link = page.locator('details[data-bucket="receipts"] a', { hasText: 'receipts/' });
    await link.first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('details[data-bucket="receipts"] a').length >= 3);
    const href = await link.first().getAttribute('href');
    const body = await page.evaluate(async (h) => (await fetch(h)).text(), href);
    check(['ada', 'from the form', 'poison'].includes(body), `a receipt holds an order: ${body}`);
    await page.screenshot({ path: join(out, 'dashboard-bucket.png'), fullPage: true });
    check(errors.length === 0, `no script errors: ${errors.join('; ')}`);
    console.log('dashboard: every browser check passed');
  } finally {
    await close();
  }
}

async function shoot() {
  const { page, errors, close } = await open();
  try {
    await page.goto(`${base}/_faasport/`);
    await page.waitForSelector('#live[data-state="live"]');
    // A ramp: one more client every SECS/16 seconds, so the pool scales out step by step.
    const total = Number(secs || 20) * 1000;
    const until = Date.now() + total;
    const worker = async (n) => {
      await new Promise((r) => setTimeout(r, (n * total) / 16));
      while (Date.now() < until) {
        await fetch(`${base}/orders`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ customer: `c${n}`, amount_cents: 100 + Math.floor(Math.random() * 5000) }),
        });
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, n) => worker(n)));
    await page.waitForTimeout(2500);
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1280, height: 780 } });
    check(errors.length === 0, `no script errors: ${errors.join('; ')}`);
  } finally {
    await close();
  }
}

async function watch() {
  const { page, errors, close } = await open();
  try {
    await page.addInitScript(() => {
      window.faasportLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.faasportLongTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${base}/_faasport/`);
    await page.waitForSelector('#live[data-state="live"]');
    const first = Number(await page.evaluate(() => document.body.dataset.snapshots || 0));
    await page.waitForTimeout(Number(secs || 10) * 1000);
    const applied = Number(await page.evaluate(() => document.body.dataset.snapshots)) - first;
    const started = Date.now();
    const answer = await fire(page, { function: 'f000', kind: 'json', inputs: { '#try-body': '1' } });
    const tryMs = Date.now() - started;
    check(answer.summary.includes('ok'), answer.summary);
    const rows = await page.locator('tbody tr[data-function]').count();
    const longTasks = await page.evaluate(() => window.faasportLongTasks);
    const busy = longTasks.reduce((a, b) => a + b, 0);
    await page.screenshot({ path: out, fullPage: false });
    check(rows === 100, `100 function rows, got ${rows}`);
    check(applied > 0, 'snapshots kept arriving under load');
    check(errors.length === 0, `no script errors: ${errors.join('; ')}`);
    console.log(`watch: ${JSON.stringify({ secs: Number(secs || 10), snapshots_applied: applied,
      long_tasks: longTasks.length, long_task_ms: Math.round(busy),
      longest_task_ms: Math.round(Math.max(0, ...longTasks)), try_it_round_trip_ms: tryMs })}`);
  } finally {
    await close();
  }
}

try {
  if (mode === 'test') await test();
  else if (mode === 'shoot') await shoot();
  else if (mode === 'watch') await watch();
  else throw new Error(`unknown mode ${mode}: use test, shoot or watch`);
} catch (e) {
  console.error(e.stack || String(e));
  process.exit(1);
}
