// The faasport dashboard: keeps the server-rendered page live from one event stream
// (/_faasport/dashboard/events), draws the scaling chart with uPlot, and drives the admin API
// (dead letters, buckets) and the "try it" endpoint. No build step, no dependencies but uPlot.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const functions = JSON.parse($('faasport-functions').textContent);
  const JSON_HEADERS = { 'content-type': 'application/json' };
  const MAX_POINTS = 1200;
  const PALETTE = ['#2b6cb0', '#dd6b20', '#2f855a', '#b83280', '#6b46c1', '#c53030', '#2c7a7b',
    '#975a16', '#4a5568', '#d69e2e', '#3182ce', '#38a169'];

  // ---- scaling chart ------------------------------------------------------------------------
  let series = [];
  let data = [[]];
  let cold = [];
  let lastSeq = 0;
  let chart = null;
  // What the chart shows, for people and for the browser tests: cold starts marked, the most
  // instances drawn.
  let coldMarks = 0;
  let maxInstances = 0;

  function markChart() {
    const el = $('chart');
    el.dataset.coldMarks = String(coldMarks);
    el.dataset.max = String(maxInstances);
  }

  function resetChart(names, samples) {
    series = names;
    data = [[]].concat(names.map(() => []));
    cold = names.map(() => []);
    lastSeq = 0;
    coldMarks = 0;
    maxInstances = 0;
    samples.forEach(push);
    buildChart();
    markChart();
  }

  function push(sample) {
    if (sample.seq <= lastSeq) return false;
    lastSeq = sample.seq;
    data[0].push(sample.t);
    sample.instances.forEach((v, i) => {
      if (!data[i + 1]) return;
      data[i + 1].push(v);
      cold[i].push(sample.cold[i] || 0);
      if (sample.cold[i] > 0) coldMarks += 1;
      if (v > maxInstances) maxInstances = v;
    });
    if (data[0].length > MAX_POINTS) {
      data.forEach((a) => a.shift());
      cold.forEach((a) => { if (a.shift() > 0) coldMarks -= 1; });
    }
    return true;
  }

  function coldIndexes(u, seriesIdx) {
    const marks = cold[seriesIdx - 1] || [];
    const out = [];
    for (let k = 0; k < marks.length; k++) if (marks[k] > 0) out.push(k);
    return out;
  }

  function buildChart() {
    const el = $('chart');
    el.textContent = '';
    const colour = (i) => PALETTE[i % PALETTE.length];
    chart = new uPlot({
      width: Math.max(320, el.clientWidth || 900),
      height: 260,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(2, max + 1)] } },
      axes: [{}, { label: 'instances', size: 50 }],
      legend: { show: series.length <= 16 },
      series: [{}].concat(series.map((name, i) => ({
        label: name,
        stroke: colour(i),
        width: 1.5,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 8, fill: colour(i), filter: coldIndexes },
      }))),
    }, data, el);
  }

  window.addEventListener('resize', () => {
    if (chart) chart.setSize({ width: Math.max(320, $('chart').clientWidth), height: 260 });
  });

  // ---- snapshot -> page -------------------------------------------------------------------------
  const number = (n) => (n === null || n === undefined ? '-' : String(n));
  const ms = (n) => (n === null || n === undefined ? '-' : n.toFixed(n < 10 ? 2 : 1));
  function money(x, currency) {
    if (x === null || x === undefined) return '-';
    const digits = x !== 0 && Math.abs(x) < 0.01 ? 6 : 2;
    return `${x.toFixed(digits)} ${currency}`;
  }
  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }
  function row(cells) {
    const tr = document.createElement('tr');
    cells.forEach((c) => tr.appendChild(c));
    return tr;
  }
  function replaceRows(tbody, rows, empty, span) {
    tbody.textContent = '';
    if (rows.length === 0) {
      const td = cell(empty, 'muted');
      td.colSpan = span;
      tbody.appendChild(row([td]));
    }
    rows.forEach((r) => tbody.appendChild(r));
  }

  let lastSlow = '';
  let applied = 0;
  function apply(s) {
    applied += 1;
    document.body.dataset.snapshots = String(applied);
    $('uptime').textContent = `up ${Math.round(s.uptime_ms / 1000)} s`;
    for (const f of s.functions) {
      const tr = document.querySelector(`tr[data-function="${CSS.escape(f.name)}"]`);
      if (!tr) continue;
      for (const td of tr.querySelectorAll('td[data-k]')) {
        const k = td.dataset.k;
        td.textContent = k.endsWith('_ms') ? ms(f[k]) : number(f[k]);
        td.classList.toggle('bad', ['errors', 'timeouts', 'throttles'].includes(k) && f[k] > 0);
      }
    }
    if (s.series.join('\u0000') !== series.join('\u0000') || (s.recent.length && s.recent[0].seq > lastSeq + 1)) {
      loadHistory();
    } else {
      let changed = false;
      s.recent.forEach((p) => { changed = push(p) || changed; });
      if (changed && chart) { chart.setData(data); markChart(); }
    }
    const slow = JSON.stringify([s.costs, s.queues, s.topics, s.dead_letters]);
    if (slow !== lastSlow) {
      lastSlow = slow;
      applySlow(s);
    }
    refreshOpenBuckets();
  }

  function applySlow(s) {
    replaceRows($('cost-rows'), s.costs.map((c) => row([
      cell(c.label), cell(money(c.so_far, c.currency)),
      cell(money(c.month_before_free_tier, c.currency)),
      cell(c.month_free_tier === null ? '-' : `− ${money(c.month_free_tier, c.currency)}`),
      cell(money(c.month, c.currency)),
    ])), 'no provider priced', 5);
    replaceRows($('queues'), s.queues.map((q) => row([
      cell(q.name), cell(q.visible), cell(q.in_flight), cell(q.sent),
      cell(q.dead_letters, q.dead_letters > 0 ? 'bad' : ''),
    ])), 'no queues declared', 5);
    const topics = $('topics');
    topics.textContent = '';
    if (s.topics.length === 0) topics.innerHTML = '<p class="muted">no topics declared</p>';
    for (const t of s.topics) {
      const div = document.createElement('div');
      div.className = 'topic';
      div.dataset.topic = t.name;
      const h = document.createElement('strong');
      h.textContent = t.name;
      const ul = document.createElement('ul');
      if (t.recent.length === 0) {
        const li = document.createElement('li');
        li.className = 'muted';
        li.textContent = 'no messages yet';
        ul.appendChild(li);
      }
      for (const m of t.recent.slice().reverse()) {
        const li = document.createElement('li');
        const code = document.createElement('code');
        code.textContent = `${m.id} `;
        li.appendChild(code);
        li.appendChild(document.createTextNode(m.body));
        ul.appendChild(li);
      }
      div.appendChild(h);
      div.appendChild(ul);
      topics.appendChild(div);
    }
    const dl = s.dead_letters;
    $('dead-total').textContent = dl.total ? `${dl.total} in the store` : '';
    $('purge').disabled = dl.total === 0;
    replaceRows($('dead-rows'), dl.latest.slice().reverse().map((d) => {
      const actions = document.createElement('td');
      const inspect = button('Inspect', () => inspectDeadLetter(d.id), true);
      const redrive = button('Redrive', () => redriveDeadLetter(d.id));
      redrive.dataset.redrive = d.id;
      actions.append(inspect, ' ', redrive);
      const tr = row([cell(d.id), cell(d.source), cell(d.event_id), cell(d.attempts),
        cell(d.reason), cell(d.at.replace('T', ' ').slice(0, 19)), actions]);
      tr.dataset.deadLetter = d.id;
      return tr;
    }), 'none', 7);
  }

  function button(label, onClick, secondary) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (secondary) b.className = 'secondary';
    b.addEventListener('click', onClick);
    return b;
  }

  // ---- dead letters (admin API) ------------------------------------------------------------------
  async function inspectDeadLetter(id) {
    const r = await fetch(`/_faasport/dead-letters/${encodeURIComponent(id)}`);
    const pre = $('dead-detail');
    pre.hidden = false;
    pre.textContent = JSON.stringify(await r.json(), null, 2);
  }
  async function redriveDeadLetter(id) {
    const r = await fetch(`/_faasport/dead-letters/${encodeURIComponent(id)}/redrive`,
      { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    if (r.ok) {
      const tr = document.querySelector(`tr[data-dead-letter="${CSS.escape(id)}"]`);
      if (tr) tr.remove();
    } else {
      alert(`redrive failed: ${(await r.json()).error}`);
    }
  }
  $('purge').addEventListener('click', async () => {
    if (!confirm('Purge every dead letter?')) return;
    await fetch('/_faasport/dead-letters', { method: 'DELETE', headers: JSON_HEADERS });
    replaceRows($('dead-rows'), [], 'none', 7);
  });

  // ---- buckets (admin API) -------------------------------------------------------------------
  let bucketsListedAt = 0;
  async function listBucket(details) {
    const bucket = details.dataset.bucket;
    const r = await fetch(`/_faasport/buckets/${encodeURIComponent(bucket)}`);
    const ul = details.querySelector('.objects');
    ul.textContent = '';
    const objects = r.ok ? await r.json() : [];
    if (objects.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'empty';
      ul.appendChild(li);
    }
    for (const o of objects.slice(0, 200)) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/_faasport/buckets/${encodeURIComponent(bucket)}/objects/${o.key.split('/').map(encodeURIComponent).join('/')}`;
      a.textContent = o.key;
      a.setAttribute('download', '');
      li.appendChild(a);
      li.appendChild(document.createTextNode(` · ${o.size} B`));
      ul.appendChild(li);
    }
    if (objects.length > 200) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = `… and ${objects.length - 200} more`;
      ul.appendChild(li);
    }
  }
  function refreshOpenBuckets() {
    if (Date.now() - bucketsListedAt < 2000) return;
    bucketsListedAt = Date.now();
    document.querySelectorAll('details.bucket[open]').forEach(listBucket);
  }
  document.querySelectorAll('details.bucket').forEach((d) => {
    d.addEventListener('toggle', () => { if (d.open) listBucket(d); });
  });

  // ---- try it ----------------------------------------------------------------------------------
  const form = $('try-form');
  function fillDefaults() {
    const f = functions.find((x) => x.name === $('try-function').value);
    const kind = $('try-kind').value;
    const trigger = f && f.triggers.find((t) => t.kind === kind);
    const http = f && f.triggers.find((t) => t.kind === 'http');
    $('try-method').value = http ? http.name : 'POST';
    $('try-path').value = http ? http.path : '/';
    $('try-name').value = trigger && kind !== 'http' ? trigger.name : '';
    form.querySelectorAll('.for-http').forEach((e) => { e.hidden = kind !== 'http'; });
    form.querySelectorAll('.for-named').forEach((e) => { e.hidden = ['http', 'json'].includes(kind); });
    form.querySelectorAll('.for-bucket').forEach((e) => { e.hidden = kind !== 'bucket'; });
  }
  $('try-function').addEventListener('change', () => {
    const f = functions.find((x) => x.name === $('try-function').value);
    if (f && f.triggers.length) $('try-kind').value = f.triggers[0].kind;
    fillDefaults();
  });
  $('try-kind').addEventListener('change', fillDefaults);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fire = $('try-fire');
    fire.disabled = true;
    const test = Object.fromEntries(new FormData(form).entries());
    try {
      const r = await fetch('/_faasport/dashboard/try',
        { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(test) });
      const answer = await r.json();
      $('try-result').hidden = false;
      const summary = $('try-summary');
      if (!r.ok) {
        summary.className = 'err';
        summary.textContent = `refused (${r.status}): ${answer.error}`;
        $('try-output').textContent = '';
        $('try-logs').textContent = '';
        return;
      }
      summary.className = answer.outcome === 'ok' ? 'ok' : 'err';
      summary.textContent = `${answer.function} · ${answer.request_id} · ${answer.outcome}` +
        `${answer.cold ? ' · cold start' : ''} · ${answer.duration_ms.toFixed(1)} ms` +
        (answer.init_ms ? ` (+ ${answer.init_ms.toFixed(1)} ms init)` : '');
      let output = '';
      if (answer.http) output += `HTTP ${answer.http.status}\n${answer.http.body}\n`;
      if (answer.output !== undefined) output += `${JSON.stringify(answer.output, null, 2)}\n`;
      if (answer.error) output += `error: ${answer.error}\n`;
      $('try-output').textContent = output || '(no output)';
      const lines = answer.logs.lines.map((l) => `${l.level.padEnd(5)} ${l.target}: ${l.message}`);
      if (answer.logs.dropped) lines.push(`… ${answer.logs.dropped} more lines dropped`);
      $('try-logs').textContent = lines.length ? lines.join('\n') : '(no log lines)';
    } finally {
      fire.disabled = false;
    }
  });

  // ---- live --------------------------------------------------------------------------------------
  let loading = null;
  function loadHistory() {
    if (loading) return loading;
    loading = fetch('/_faasport/dashboard/history').then((r) => r.json()).then((h) => {
      resetChart(h.series, h.samples);
    }).finally(() => { loading = null; });
    return loading;
  }

  function connect() {
    const live = $('live');
    const source = new EventSource('/_faasport/dashboard/events');
    source.addEventListener('open', () => { live.dataset.state = 'live'; live.textContent = 'live'; });
    source.addEventListener('error', () => { live.dataset.state = 'lost'; live.textContent = 'reconnecting…'; });
    source.addEventListener('snapshot', (e) => apply(JSON.parse(e.data)));
  }

  fillDefaults();
  const f0 = functions.find((x) => x.name === $('try-function').value);
  if (f0 && f0.triggers.length) { $('try-kind').value = f0.triggers[0].kind; fillDefaults(); }
  loadHistory().then(connect, connect);
})();
