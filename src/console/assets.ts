/**
 * The console's whole front end: one style sheet and one small script, served from memory as
 * /assets/console.css and /assets/console.js. No framework and nothing fetched from elsewhere.
 * The script only reads JSON the server escaped and writes text (textContent) or markup the
 * server rendered and escaped; it never builds HTML from data itself.
 */

export const CONSOLE_CSS = `
:root { --fg:#1d2330; --muted:#5d6678; --line:#dde2ea; --bg:#f6f7f9; --accent:#2458c6; --bad:#b3261e; --good:#1e7a3c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1.2em; align-items:center; padding:.6em 1.2em; background:#fff; border-bottom:1px solid var(--line); }
header b { font-size:1.1em; margin-right:1em; }
header a { color:var(--muted); text-decoration:none; }
header a.on { color:var(--accent); font-weight:600; }
main { padding:1em 1.4em; max-width:1200px; }
h1 { font-size:1.35em; margin:.2em 0 .6em; }
h2 { font-size:1.1em; margin:1.4em 0 .5em; }
table { border-collapse:collapse; background:#fff; border:1px solid var(--line); margin-bottom:1em; }
th, td { text-align:left; padding:.3em .7em; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
pre { margin:0; white-space:pre-wrap; word-break:break-all; max-width:520px; font:12px/1.35 ui-monospace, monospace; }
form.inline { display:inline-flex; gap:.4em; align-items:center; flex-wrap:wrap; margin:.3em 0; }
td form.inline { margin:0; }
form.card { background:#fff; border:1px solid var(--line); padding:.8em 1em; margin:.6em 0 1em; display:flex; gap:.6em; flex-wrap:wrap; align-items:end; }
label { display:flex; flex-direction:column; font-size:.85em; color:var(--muted); gap:.15em; }
input, select, textarea { font:inherit; padding:.25em .4em; border:1px solid #c4cad4; border-radius:3px; }
button { font:inherit; padding:.3em .8em; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:3px; cursor:pointer; }
button.danger { background:var(--bad); border-color:var(--bad); }
.flash { padding:.5em .8em; margin:.4em 0 1em; background:#e7f4ea; border:1px solid #b6dcc0; color:var(--good); }
.flash.error { background:#fbeaea; border-color:#efc0bd; color:var(--bad); }
.muted, .empty { color:var(--muted); }
.big { font-size:1.8em; font-weight:600; }
svg.chart { background:#fff; border:1px solid var(--line); display:block; margin-bottom:1em; }
svg.chart text { font-size:11px; fill:var(--muted); }
.stats { display:flex; gap:2em; margin:.4em 0 1em; }
`;

export const CONSOLE_JS = `
(function () {
  'use strict';
  // Forms that destroy something ask first (inline handlers would break the page's CSP).
  document.addEventListener('submit', function (e) {
    var msg = e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  var cfgEl = document.getElementById('live');
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var COLORS = ['#2458c6', '#c62d24', '#1e7a3c', '#b8860b', '#7b3fb5', '#0c8599', '#d9480f', '#5c940d'];
  var SVGNS = 'http://www.w3.org/2000/svg';

  function el(name, attrs) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  // series: [{ name, points: [[timeMs, value], ...] }]; redraws the whole chart.
  function chart(svg, series, unit) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = Number(svg.getAttribute('width')), H = Number(svg.getAttribute('height')), L = 50, B = 20, T = 10, R = 10;
    var t0 = Infinity, t1 = -Infinity, vmax = 0;
    series.forEach(function (s) { s.points.forEach(function (p) { t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); vmax = Math.max(vmax, p[1]); }); });
    if (!isFinite(t0)) { var e = el('text', { x: L, y: H / 2 }); e.textContent = 'waiting for samples…'; svg.appendChild(e); return; }
    if (t1 === t0) t1 = t0 + 1000;
    if (vmax === 0) vmax = 1;
    var x = function (t) { return L + (W - L - R) * (t - t0) / (t1 - t0); };
    var y = function (v) { return T + (H - T - B) * (1 - v / vmax); };
    svg.appendChild(el('line', { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: '#ccd' }));
    var top = el('text', { x: 4, y: T + 8 }); top.textContent = fmt(vmax) + (unit || ''); svg.appendChild(top);
    var zero = el('text', { x: 4, y: y(0) }); zero.textContent = '0'; svg.appendChild(zero);
    var span = el('text', { x: W - R - 60, y: H - 4 }); span.textContent = Math.round((t1 - t0) / 1000) + ' s shown'; svg.appendChild(span);
    series.forEach(function (s, i) {
      var pts = s.points.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ');
      svg.appendChild(el('polyline', { points: pts, fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2 }));
      var label = el('text', { x: L + 6 + 110 * (i % 6), y: T + 12 + 12 * Math.floor(i / 6), fill: COLORS[i % COLORS.length] });
      label.textContent = s.name; svg.appendChild(label);
    });
  }

  function fmt(v) { return v >= 10000 ? (v / 1000).toFixed(0) + 'k' : String(Math.round(v * 10) / 10); }

  function setText(sel, text) { var e = document.querySelector(sel); if (e) e.textContent = text; }

  function poll(url, every, onData) {
    var stopped = false;
    function tick() {
      if (stopped) return;
      fetch(url, { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) onData(d); }, function () {})
        .then(function () { setTimeout(tick, every); });
    }
    tick();
    return function () { stopped = true; };
  }

  if (cfg.kind === 'group') {
    var svg = document.getElementById('lag-chart');
    poll(cfg.url, cfg.intervalMs, function (d) {
      setText('#total-lag', String(d.totalLag));
      setText('#group-state', d.state);
      d.partitions.forEach(function (p) {
        var row = document.querySelector('tr[data-tp="' + CSS.escape(p.topic + ':' + p.partition) + '"]');
        if (!row) return;
        row.querySelector('.committed').textContent = p.committed === null ? '–' : String(p.committed);
        row.querySelector('.end').textContent = String(p.endOffset);
        row.querySelector('.lag').textContent = p.lag === null ? '–' : String(p.lag);
      });
      var names = Object.keys(d.history.length ? d.history[d.history.length - 1].lags : {});
      var series = [{ name: 'total', points: d.history.map(function (h) { return [h.t, h.total]; }) }];
      names.slice(0, 7).forEach(function (n) {
        series.push({ name: n, points: d.history.filter(function (h) { return n in h.lags; }).map(function (h) { return [h.t, h.lags[n]]; }) });
      });
      chart(svg, series, '');
    });
  }

  if (cfg.kind === 'topic') {
    var rate = document.getElementById('rate-chart');
    var samples = [];
    poll(cfg.url, cfg.intervalMs, function (d) {
      var total = 0;
      d.partitions.forEach(function (p) {
        total += Math.max(0, p.endOffset - p.startOffset);
        var row = document.querySelector('tr[data-partition="' + p.partition + '"]');
        if (row) { row.querySelector('.start').textContent = String(p.startOffset); row.querySelector('.end').textContent = String(p.endOffset); }
      });
      var ends = d.partitions.reduce(function (s, p) { return s + Math.max(0, p.endOffset); }, 0);
      samples.push([Date.now(), ends]);
      if (samples.length > 120) samples.shift();
      setText('#total-messages', String(total));
      var pts = [];
      for (var i = 1; i < samples.length; i++) pts.push([samples[i][0], (samples[i][1] - samples[i - 1][1]) * 1000 / Math.max(1, samples[i][0] - samples[i - 1][0])]);
      chart(rate, [{ name: 'messages/s in', points: pts }], '/s');
    });
  }

  if (cfg.kind === 'messages') {
    var box = document.getElementById('tail');
    var body = document.querySelector('#messages tbody');
    var next = cfg.nextOffset, stop = null;
    if (box) box.addEventListener('change', function () {
      if (!box.checked) { if (stop) stop(); stop = null; return; }
      var live = true;
      stop = function () { live = false; };
      (function tick() {
        if (!live) return;
        fetch(cfg.tailUrl + '&offset=' + next, { headers: { accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (d) {
            if (d && d.count > 0) {
              if (!body) { location.reload(); return; }
              body.insertAdjacentHTML('beforeend', d.rows);
              setText('#shown-count', String(body.rows.length));
            }
            if (d) next = d.nextOffset;
          }, function () {})
          .then(function () { setTimeout(tick, cfg.intervalMs); });
      })();
    });
  }
})();
`;
