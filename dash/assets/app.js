// autodidact dash: the run list, curves, pass@k, episode browser and
// control rollouts, drawn as hand-written SVG (no library, works offline).
'use strict';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const SVGNS = 'http://www.w3.org/2000/svg';
const state = { runs: [], selected: [], metrics: {}, tab: 'curves', episodes: null, epLine: null, rollTimer: null };

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': ' + r.status + ' ' + (await r.text()));
  return r.json();
}
function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(4));
}
function colorOf(id) { const i = state.selected.indexOf(id); return PALETTE[(i < 0 ? 0 : i) % PALETTE.length]; }

// ---- run list ----
function summaryText(r) {
  const s = r.summary || {};
  if (r.kind === 'control') return s.final_return !== undefined ? 'return ' + fmt(s.final_return) : '';
  if (s['final_pass@1'] === undefined) return '';
  return 'pass@1 ' + fmt(s['base_pass@1']) + ' → ' + fmt(s['final_pass@1']) + ', pass@' + s.k + ' ' + fmt(s['base_pass@k']) + ' → ' + fmt(s['final_pass@k']);
}
function renderRuns() {
  const tb = $('#run-table tbody');
  tb.textContent = '';
  for (const r of state.runs) {
    const tr = el('tr', { class: 'run-row', 'data-id': r.id });
    const cb = el('input', { type: 'checkbox', class: 'sel' });
    cb.checked = state.selected.includes(r.id);
    cb.addEventListener('click', (ev) => { ev.stopPropagation(); toggle(r.id); });
    const c0 = el('td'); c0.append(cb);
    if (cb.checked) c0.append(el('span', { class: 'swatch', style: 'background:' + colorOf(r.id) }));
    tr.append(c0, el('td', {}, r.id + (r.compare ? '' : '')), el('td', {}, r.kind), el('td', {}, r.recipe));
    const st = el('td'); st.append(el('span', { class: 'status status-' + r.status }, r.status)); tr.append(st);
    tr.append(el('td', {}, summaryText(r)), el('td', {}, (r.last_stage ? r.last_stage + ' ' : '') + fmt(r.last_step)), el('td', {}, r.wall_seconds ? Math.round(r.wall_seconds) + ' s' : ''));
    tr.addEventListener('click', () => toggle(r.id));
    tb.append(tr);
  }
  $('#run-count').textContent = '(' + state.runs.length + ')';
  fillSelect('#ep-run', state.runs.filter((r) => r.has_samples));
  fillSelect('#ctl-run', state.runs.filter((r) => r.has_policy));
}
function fillSelect(sel, runs) {
  const s = $(sel), cur = s.value;
  const ids = runs.map((r) => r.id);
  if (Array.from(s.options).map((o) => o.value).join('\n') === ids.join('\n')) return;
  s.textContent = '';
  for (const id of ids) s.append(el('option', { value: id }, id));
  if (ids.includes(cur)) s.value = cur;
  s.dispatchEvent(new Event('change'));
}
function toggle(id) {
  const i = state.selected.indexOf(id);
  if (i >= 0) state.selected.splice(i, 1); else state.selected.push(id);
  renderRuns();
  refreshMetrics().then(renderTab);
}

// ---- charts ----
// ema is TensorBoard's debiased exponential moving average.
function ema(pts, w) {
  if (w <= 0) return pts;
  let last = 0, n = 0;
  return pts.map(([x, y]) => { last = last * w + (1 - w) * y; n++; return [x, last / (1 - Math.pow(w, n))]; });
}
function ticks(lo, hi, n) {
  const span = hi - lo || 1, step0 = Math.pow(10, Math.floor(Math.log10(span / n)));
  const step = [1, 2, 5, 10].map((m) => m * step0).find((s) => span / s <= n) || step0 * 10;
  const out = [];
  // Counting ticks (not adding step to v) cannot loop forever when step is
  // below v's float resolution.
  const first = Math.ceil(lo / step);
  for (let i = 0; i <= 100 && (first + i) * step <= hi + 1e-9 * span; i++) out.push(+((first + i) * step).toPrecision(12));
  return out;
}
// lineChart draws series [{name, color, pts, dash}] into a new SVG.
function lineChart(series, opt) {
  opt = opt || {};
  const W = opt.width || 360, H = opt.height || 200, L = 48, R = 10, T = 8, B = 26;
  const svg = sv('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, class: 'line-chart' });
  const tx = opt.logX ? (x) => Math.log10(x) : (x) => x;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) for (const [x, y] of s.pts) {
    if (!Number.isFinite(y) || (opt.logX && x <= 0)) continue;
    x0 = Math.min(x0, tx(x)); x1 = Math.max(x1, tx(x)); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) { svg.append(sv('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no data')); return svg; }
  if (opt.yMin !== undefined) y0 = Math.min(y0, opt.yMin);
  if (opt.yMax !== undefined) y1 = Math.max(y1, opt.yMax);
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  // A flat curve (smoothing leaves float noise of 1e-16) gets a visible range.
  if (y1 - y0 <= 1e-9 * Math.max(Math.abs(y0), Math.abs(y1))) { const c = (y0 + y1) / 2; y0 = c - (Math.abs(c) * 0.1 || 1); y1 = c + (Math.abs(c) * 0.1 || 1); }
  const px = (x) => L + (tx(x) - x0) / (x1 - x0) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const v of ticks(y0, y1, 5)) {
    svg.append(sv('line', { class: 'grid-line', x1: L, x2: W - R, y1: py(v), y2: py(v) }));
    svg.append(sv('text', { x: L - 4, y: py(v) + 3, 'text-anchor': 'end' }, fmt(v)));
  }
  const xt = opt.logX ? ticks(x0, x1, 5).filter((e) => Number.isInteger(e)).map((e) => Math.pow(10, e)) : ticks(x0, x1, 5);
  if (opt.logX && xt.length < 2) { xt.length = 0; for (const k of [1, 2, 4, 8, 16, 32, 64, 128, 256]) if (tx(k) >= x0 && tx(k) <= x1) xt.push(k); }
  for (const v of xt) svg.append(sv('text', { x: px(v), y: H - B + 14, 'text-anchor': 'middle' }, fmt(v)));
  svg.append(sv('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  svg.append(sv('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  if (opt.xLabel) svg.append(sv('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }, opt.xLabel));
  for (const s of series) {
    let d = '';
    for (const [x, y] of s.pts) {
      if (!Number.isFinite(y) || (opt.logX && x <= 0)) continue;
      d += (d ? 'L' : 'M') + px(x).toFixed(1) + ',' + py(y).toFixed(1);
    }
    const p = sv('path', { class: 'series', d: d, fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'data-run': s.name });
    if (s.dash) p.setAttribute('stroke-dasharray', '4 3');
    p.append(sv('title', {}, s.name));
    svg.append(p);
    if (s.pts.length === 1) svg.append(sv('circle', { cx: px(s.pts[0][0]), cy: py(s.pts[0][1]), r: 2.5, fill: s.color }));
  }
  return svg;
}

async function refreshMetrics() {
  await Promise.all(state.selected.map(async (id) => {
    try { state.metrics[id] = await getJSON('api/metrics?run=' + encodeURIComponent(id)); } catch (e) { console.error(e); }
  }));
}
function renderCurves() {
  const box = $('#charts'), w = +$('#smooth').value, filt = $('#metric-filter').value.trim();
  $('#smooth-val').textContent = w.toFixed(2);
  box.textContent = '';
  const names = new Set();
  for (const id of state.selected) for (const k in ((state.metrics[id] || {}).series || {})) names.add(k);
  const sorted = Array.from(names).filter((n) => !filt || n.includes(filt)).sort();
  if (!state.selected.length) box.append(el('p', { class: 'note' }, 'Tick runs in the list to plot them.'));
  for (const name of sorted) {
    const series = [];
    let xKey = '';
    for (const id of state.selected) {
      const m = state.metrics[id];
      if (!m || !m.series[name]) continue;
      xKey = xKey || m.x;
      series.push({ name: id, color: colorOf(id), pts: ema(m.series[name], w) });
    }
    const div = el('div', { class: 'chart', 'data-metric': name });
    div.append(el('h3', {}, name));
    div.append(lineChart(series, { xLabel: xKey || 'line' }));
    box.append(div);
  }
}
function renderPassK() {
  const box = $('#passk-chart'), series = [];
  box.textContent = '';
  for (const id of state.selected) {
    const evals = ((state.metrics[id] || {}).evals || []).filter((e) => Array.isArray(e.pass_curve) && e.pass_curve.length);
    if (!evals.length) continue;
    const pick = evals.length > 1 ? [evals[0], evals[evals.length - 1]] : [evals[0]];
    pick.forEach((e, i) => series.push({ name: id + ' ' + (e.tag || '') + ' @' + e.gstep, color: colorOf(id), dash: pick.length > 1 && i === 0,
      pts: e.pass_curve.map((v, k) => [k + 1, v]) }));
  }
  if (!series.length) { box.append(el('p', { class: 'note' }, 'No evaluations with pass@k curves in the ticked runs.')); return; }
  box.append(lineChart(series, { width: 640, height: 360, logX: true, xLabel: 'k (log)', yMin: 0, yMax: 1 }));
  const leg = el('div', { class: 'legend' });
  for (const s of series) { const sp = el('span'); sp.append(el('span', { class: 'swatch', style: 'background:' + s.color }), document.createTextNode(s.name + (s.dash ? ' (dashed)' : ''))); leg.append(sp); }
  box.append(leg);
}

// ---- episodes ----
async function loadEpisodes() {
  const id = $('#ep-run').value;
  if (!id) { state.episodes = null; renderEpisodes(); return; }
  try { state.episodes = await getJSON('api/samples?limit=200&run=' + encodeURIComponent(id)); } catch (e) { console.error(e); }
  renderEpisodes();
}
function renderEpisodes() {
  const tb = $('#ep-list tbody');
  tb.textContent = '';
  const eps = state.episodes ? state.episodes.episodes : [];
  $('#ep-total').textContent = state.episodes ? eps.length + ' of ' + state.episodes.total + ' episodes (latest)' : '';
  for (const ep of eps.slice().reverse()) {
    const tr = el('tr', { class: 'ep-row' + (ep.line === state.epLine ? ' selected' : ''), 'data-line': ep.line });
    for (const v of [ep.line, ep.gstep, ep.env || '', ep.group, fmt(ep.reward), ep.correct === undefined ? '' : ep.correct ? '✓' : '✗']) tr.append(el('td', {}, String(v)));
    tr.addEventListener('click', () => { state.epLine = ep.line; renderEpisodes(); });
    tb.append(tr);
  }
  renderEpisode(eps.find((e) => e.line === state.epLine));
}
// tokenColor maps a value to a background colour for the chosen field.
function tokenColor(field, v, scale) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '';
  if (field === 'logprobs') { const p = Math.exp(Math.min(v, 0)); return 'rgba(229,57,53,' + (1 - p).toFixed(3) + ')'; }
  if (field === 'entropies') return 'rgba(255,152,0,' + Math.min(v / (scale || 1), 1).toFixed(3) + ')';
  const a = Math.min(Math.abs(v) / (scale || 1), 1).toFixed(3);
  return v >= 0 ? 'rgba(67,160,71,' + a + ')' : 'rgba(30,136,229,' + a + ')';
}
function renderEpisode(ep) {
  const box = $('#ep-detail');
  box.textContent = '';
  if (!ep) { box.append(el('p', { class: 'note' }, 'Select an episode.')); return; }
  const field = $('#color-by').value;
  let scale = 0;
  for (const s of ep.segments) for (const v of s[field] || []) scale = Math.max(scale, Math.abs(v));
  const head = el('div', { class: 'ep-head' });
  head.append(el('b', {}, 'line ' + ep.line + ' · gstep ' + ep.gstep + ' · step ' + ep.step + ' · episode ' + ep.episode + ' · group ' + ep.group + (ep.env ? ' · ' + ep.env : '')));
  head.append(el('div', { class: 'ep-reward' }, 'reward ' + fmt(ep.reward) + (ep.correct === undefined ? '' : ep.correct ? ' · correct' : ' · incorrect') + (ep.advantage === undefined ? '' : ' · advantage ' + fmt(ep.advantage))));
  box.append(head);
  for (const s of ep.segments) {
    const d = el('div', { class: 'segment role-' + String(s.role).replace(/[^a-z0-9_-]/gi, '_'), 'data-role': s.role });
    d.append(el('div', { class: 'seg-head' }, s.role + (s.source ? ' (' + s.source + ')' : '') + (s.trainable ? ' · trainable' : '') + (s.ids ? ' · ' + s.ids.length + ' tokens' : '')));
    const t = el('div', { class: 'seg-text' });
    const vals = s[field];
    if (s.tokens && s.tokens.length) {
      s.tokens.forEach((tok, i) => {
        const v = vals ? vals[i] : undefined;
        const sp = el('span', { class: 'tok' }, tok === '\n' ? '↵\n' : tok);
        const c = tokenColor(field, v, scale);
        if (c) sp.style.background = c;
        const tip = ['logprobs', 'advantages', 'entropies'].filter((f) => s[f]).map((f) => f.slice(0, -1) + ' ' + fmt(s[f][i])).join(', ');
        if (tip) sp.title = tip;
        t.append(sp);
      });
    } else {
      const sp = el('span', { class: 'seg-whole' }, s.text);
      if (vals && vals.length) { const m = vals.reduce((a, b) => a + b, 0) / vals.length; sp.style.background = tokenColor(field, m, scale); sp.title = 'mean ' + field.slice(0, -1) + ' ' + fmt(m) + ' (no tokenizer.json: shown per segment)'; }
      t.append(sp);
    }
    d.append(t);
    box.append(d);
  }
  if (ep.verdicts && ep.verdicts.length) {
    const ul = el('ul', { class: 'verdicts' });
    for (const v of ep.verdicts) ul.append(el('li', {}, v.judge + ': reward ' + fmt(v.reward) + (v.reason ? ' — ' + v.reason : '')));
    box.append(el('h4', {}, 'verdicts'), ul);
  }
}

// ---- control rollouts ----
const RENDER = {
  'CartPole-v1': { box: [-2.6, -1.2, 5.2, 1.5], draw(g, o) {
    const x = o[0], th = o[2];
    return `<line x1="-2.4" y1="0" x2="2.4" y2="0" stroke="#555" stroke-width="0.02"/>` +
      `<rect x="${x - 0.25}" y="-0.08" width="0.5" height="0.16" fill="#1f77b4"/>` +
      `<line class="pole" x1="${x}" y1="0" x2="${x + Math.sin(th)}" y2="${-Math.cos(th)}" stroke="#d62728" stroke-width="0.06" stroke-linecap="round"/>`;
  } },
  'Pendulum-v1': { box: [-1.3, -1.3, 2.6, 2.6], draw(g, o) {
    return `<line class="pole" x1="0" y1="0" x2="${o[1]}" y2="${-o[0]}" stroke="#d62728" stroke-width="0.12" stroke-linecap="round"/><circle r="0.05" fill="#333"/>`;
  } },
  'MountainCarContinuous-v0': { box: [-1.3, -1.1, 1.9, 1.2], draw(g, o) {
    let d = '';
    for (let x = -1.2; x <= 0.6001; x += 0.02) d += (d ? 'L' : 'M') + x.toFixed(2) + ',' + (-(Math.sin(3 * x) * 0.45 + 0.55)).toFixed(3);
    return `<path d="${d}" fill="none" stroke="#555" stroke-width="0.01"/><line x1="0.5" y1="${-(Math.sin(1.5) * 0.45 + 0.55)}" x2="0.5" y2="${-(Math.sin(1.5) * 0.45 + 0.75)}" stroke="#2ca02c" stroke-width="0.01"/>` +
      `<circle class="pole" cx="${o[0]}" cy="${-(Math.sin(3 * o[0]) * 0.45 + 0.55) - 0.04}" r="0.04" fill="#1f77b4"/>`;
  } },
  'Acrobot-v1': { box: [-2.2, -2.2, 4.4, 4.4], draw(g, o) {
    const t1 = Math.atan2(o[1], o[0]), t2 = Math.atan2(o[3], o[2]);
    const x1 = Math.sin(t1), y1 = Math.cos(t1), x2 = x1 + Math.sin(t1 + t2), y2 = y1 + Math.cos(t1 + t2);
    return `<line x1="-2.2" y1="-1" x2="2.2" y2="-1" stroke="#2ca02c" stroke-width="0.02"/><polyline class="pole" points="0,0 ${x1},${y1} ${x2},${y2}" fill="none" stroke="#1f77b4" stroke-width="0.1"/>`;
  } },
};
function drivingScene(ro) {
  const s0 = ro.scenes[0];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of s0.route) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, -y); y1 = Math.max(y1, -y); }
  const m = s0.half_width + 1, road = s0.route.map(([x, y]) => x + ',' + -y).join(' ');
  const bg = `<polyline points="${road}" fill="none" stroke="#ccc" stroke-width="${2 * s0.half_width}" stroke-linejoin="round"/>` +
    `<polyline points="${road}" fill="none" stroke="#fff" stroke-width="0.15" stroke-dasharray="1 1"/>` +
    s0.obstacles.map(([x, y]) => `<circle cx="${x}" cy="${-y}" r="${s0.obstacle_r}" fill="#d62728"/>`).join('');
  return { box: [x0 - m, y0 - m, x1 - x0 + 2 * m, y1 - y0 + 2 * m], bg: bg, draw(i) {
    const c = ro.scenes[i];
    return `<g class="pole" transform="translate(${c.x},${-c.y}) rotate(${-c.yaw * 180 / Math.PI})"><rect x="-1.2" y="-0.8" width="2.4" height="1.6" rx="0.3" fill="#1f77b4"/><line x1="0" y1="0" x2="1.4" y2="0" stroke="#fff" stroke-width="0.2"/></g>`;
  } };
}
async function playRollout() {
  const id = $('#ctl-run').value, stage = $('#ctl-stage');
  if (state.rollTimer) { clearInterval(state.rollTimer); state.rollTimer = null; }
  stage.textContent = '';
  if (!id) { stage.append(el('p', { class: 'note' }, 'No control run with a policy.')); return; }
  let ro;
  try { ro = await getJSON('api/rollout?run=' + encodeURIComponent(id) + '&seed=' + (+$('#ctl-seed').value || 0)); } catch (e) { stage.append(el('p', { class: 'note' }, String(e))); return; }
  let box, bg = '', draw;
  if (ro.scenes && ro.scenes.length) { const d = drivingScene(ro); box = d.box; bg = d.bg; draw = (i) => d.draw(i); }
  else if (RENDER[ro.env]) { box = RENDER[ro.env].box; draw = (i) => RENDER[ro.env].draw(null, ro.obs[i]); }
  else { stage.append(el('p', { class: 'note' }, 'No renderer for ' + ro.env)); return; }
  const svg = sv('svg', { id: 'ctl-anim', width: 640, height: Math.round(640 * box[3] / box[2]), viewBox: box.join(' '), 'data-env': ro.env, 'data-frames': ro.obs.length });
  const bgG = sv('g'); bgG.innerHTML = bg;
  const fg = sv('g', { class: 'frame' });
  svg.append(bgG, fg);
  stage.append(svg);
  const info = $('#ctl-info');
  let i = 0, ret = 0;
  const show = () => {
    fg.innerHTML = draw(i);
    if (i > 0) ret += ro.rewards[i - 1] || 0;
    info.textContent = ro.env + ' · step ' + i + '/' + (ro.obs.length - 1) + ' · return ' + fmt(ret) + ' (episode ' + fmt(ro.return) + ')' +
      (ro.info ? ' · ' + Object.entries(ro.info).map(([k, v]) => k + ' ' + (v || 'none')).join(' · ') : '');
    svg.setAttribute('data-frame', i);
    if (++i >= ro.obs.length) { clearInterval(state.rollTimer); state.rollTimer = null; }
  };
  show();
  state.rollTimer = setInterval(show, 1000 / 30);
}

// ---- tabs and polling ----
function renderTab() {
  if (state.tab === 'curves') renderCurves();
  if (state.tab === 'passk') renderPassK();
}
function showTab(name) {
  state.tab = name;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.classList.toggle('hidden', s.id !== 'tab-' + name);
  if (name === 'episodes' && !state.episodes) loadEpisodes();
  renderTab();
}
async function poll() {
  try {
    state.runs = await getJSON('api/runs');
    const ids = new Set(state.runs.map((r) => r.id));
    state.selected = state.selected.filter((id) => ids.has(id));
    if (!state.initialized) {
      // #runs=ID,ID preselects runs (a shareable view); otherwise the first three.
      const m = /(?:^#|&)runs=([^&]*)/.exec(location.hash);
      state.selected = m ? decodeURIComponent(m[1]).split(',').filter((id) => ids.has(id)) : state.runs.slice(0, 3).map((r) => r.id);
    }
    state.initialized = true;
    renderRuns();
    await refreshMetrics();
    renderTab();
    if (state.tab === 'episodes') await loadEpisodes();
    $('#live').classList.remove('stale');
    $('#updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    console.error(e);
    $('#live').classList.add('stale');
  }
}
for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
$('#smooth').addEventListener('input', renderCurves);
$('#metric-filter').addEventListener('input', renderCurves);
$('#ep-run').addEventListener('change', () => { state.epLine = null; loadEpisodes(); });
$('#color-by').addEventListener('change', renderEpisodes);
$('#ctl-play').addEventListener('click', playRollout);
poll();
setInterval(poll, 3000);
