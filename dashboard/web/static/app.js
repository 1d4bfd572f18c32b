// reactions dashboard. Plain JavaScript, no framework.
//
// Security: crawled text is hostile. Every datum is put into the page with
// textContent or DOM APIs, never innerHTML; links are http(s) only and carry
// rel="noopener noreferrer nofollow" and referrerpolicy="no-referrer"; the
// server's Content-Security-Policy allows nothing but this origin.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  const STANCES = ['support', 'criticism', 'neutral'];
  const COLORS = { support: '#0072b2', criticism: '#d55e00', neutral: '#999999' };
  const FILLS = { support: 'rgba(0,114,178,0.75)', criticism: 'rgba(213,94,0,0.8)', neutral: 'rgba(153,153,153,0.75)' };
  // Fixed labels: API strings are never used as chart labels.
  const PLATFORMS = {
    reddit: ['Reddit', '#cc79a7'], hackernews: ['Hacker News', '#e69f00'], mastodon: ['Mastodon', '#56b4e9'],
    bluesky: ['Bluesky', '#009e73'], discourse: ['Discourse', '#f0e442'], lemmy: ['Lemmy', '#000000'], web: ['Web', '#0072b2'],
  };

  const state = {
    story: '', from: '', to: '', interval: 'auto', tz: 'UTC', mode: 'stacked', platform: '', byPlatform: false, includeRoots: false,
    stories: [], series: null, crawls: null,
    drill: null, // {from, to, pages: [cursor...], page}
    timer: null,
  };

  // The test hook: read-only views of what the charts show.
  const charts = { main: null, share: null, platform: null };
  window.reactionsDashboard = {
    state: () => JSON.parse(JSON.stringify({ story: state.story, from: state.from, to: state.to, interval: state.interval, tz: state.tz, mode: state.mode })),
    series: () => state.series,
    chart: () => charts.main,
    crawls: () => state.crawls,
    ready: false,
    loads: 0,
  };

  // ---- DOM helpers (text only) ----------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // safeLink returns a link to url when it is http(s), else plain text.
  function safeLink(url, label) {
    let u = null;
    try { u = new URL(url); } catch (e) { u = null; }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
      return el('span', 'nolink', '(no link)');
    }
    const a = document.createElement('a');
    a.href = u.href;
    a.textContent = label;
    a.rel = 'noopener noreferrer nofollow';
    a.referrerPolicy = 'no-referrer';
    a.target = '_blank';
    return a;
  }

  function setStatus(msg, ok) {
    const s = $('status');
    s.textContent = msg || '';
    s.className = ok ? 'status ok' : 'status';
  }

  // ---- API ----------------------------------------------------------

  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== '' && v !== null && v !== undefined && v !== false) q.set(k, v === true ? 'true' : String(v));
    }
    const res = await fetch('/api/v1/' + path + (q.toString() ? '?' + q : ''), { headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      throw new Error((body && body.error) || ('HTTP ' + res.status));
    }
    return body;
  }

  // ---- time zones -------------------------------------------------------

  const dtfCache = new Map();
  function dtf(tz) {
    let f = dtfCache.get(tz);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
      dtfCache.set(tz, f);
    }
    return f;
  }

  // wallParts returns the local wall clock of ms (epoch) in tz.
  function wallParts(ms, tz) {
    const p = {};
    for (const part of dtf(tz).formatToParts(new Date(ms))) p[part.type] = part.value;
    return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second };
  }

  // offsetMinutes is tz's UTC offset at ms.
  function offsetMinutes(ms, tz) {
    const w = wallParts(ms, tz);
    const asUTC = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
    return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
  }

  function pad(n) { return String(n).padStart(2, '0'); }

  function fmtOffset(min) {
    const sign = min < 0 ? '-' : '+';
    const a = Math.abs(min);
    return 'UTC' + sign + pad(Math.floor(a / 60)) + ':' + pad(a % 60);
  }

  // fmtLocal formats an ISO/epoch time in the display tz: 2020-10-01 04:10.
  function fmtLocal(t, withSeconds) {
    const ms = typeof t === 'number' ? t : Date.parse(t);
    const w = wallParts(ms, state.tz);
    return w.y + '-' + pad(w.mo) + '-' + pad(w.d) + ' ' + pad(w.h) + ':' + pad(w.mi) + (withSeconds ? ':' + pad(w.s) : '');
  }

  function toInput(iso) {
    if (!iso) return '';
    const w = wallParts(Date.parse(iso), state.tz);
    return w.y + '-' + pad(w.mo) + '-' + pad(w.d) + 'T' + pad(w.h) + ':' + pad(w.mi);
  }

  // fromInput turns a datetime-local value (wall clock in the display tz)
  // into an RFC 3339 UTC time.
  function fromInput(v) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v || '');
    if (!m) return '';
    const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    let t = guess - offsetMinutes(guess, state.tz) * 60000;
    const again = guess - offsetMinutes(t, state.tz) * 60000;
    if (again !== t) t = again;
    return isoZ(t);
  }

  function isoZ(ms) {
    return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  // ---- URL state -----------------------------------------------------

  function readURL() {
    const q = new URLSearchParams(location.search);
    state.story = q.get('story') || '';
    state.from = q.get('from') || '';
    state.to = q.get('to') || '';
    state.interval = q.get('interval') || 'auto';
    state.tz = q.get('tz') || 'UTC';
    state.mode = q.get('mode') === 'lines' ? 'lines' : 'stacked';
    state.platform = q.get('platform') || '';
    state.byPlatform = q.get('by') === 'platform';
    state.includeRoots = q.get('include_roots') === '1';
  }

  function writeURL() {
    const q = new URLSearchParams();
    if (state.story) q.set('story', state.story);
    if (state.from) q.set('from', state.from);
    if (state.to) q.set('to', state.to);
    if (state.interval !== 'auto') q.set('interval', state.interval);
    if (state.tz !== 'UTC') q.set('tz', state.tz);
    if (state.mode !== 'stacked') q.set('mode', state.mode);
    if (state.platform) q.set('platform', state.platform);
    if (state.byPlatform) q.set('by', 'platform');
    if (state.includeRoots) q.set('include_roots', '1');
    history.replaceState(null, '', '?' + q.toString());
  }

  // ---- controls -----------------------------------------------------

  function fillTimezones() {
    const sel = $('tz');
    const zones = ['UTC'];
    let mine = 'UTC';
    try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { /* keep UTC */ }
    if (mine !== 'UTC') zones.push(mine);
    // Common zones first, under their current IANA names (browsers list
    // some under old ones, e.g. Asia/Calcutta for Asia/Kolkata).
    const common = ['America/Los_Angeles', 'America/Denver', 'America/Chicago', 'America/New_York', 'America/Sao_Paulo',
      'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Moscow', 'Africa/Lagos', 'Africa/Johannesburg',
      'Asia/Dubai', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Shanghai', 'Asia/Tokyo', 'Australia/Sydney', 'Pacific/Auckland'];
    let all = [];
    try { all = Intl.supportedValuesOf('timeZone'); } catch (e) { all = []; }
    all = common.concat(all);
    for (const z of all) if (!zones.includes(z)) zones.push(z);
    if (!zones.includes(state.tz)) zones.push(state.tz);
    for (const z of zones) {
      const o = el('option', null, z === mine && z !== 'UTC' ? z + ' (this browser)' : z);
      o.value = z;
      sel.appendChild(o);
    }
  }

  function syncControls() {
    $('story').value = state.story;
    $('interval').value = state.interval;
    $('tz').value = state.tz;
    $('platform').value = state.platform;
    $('by-platform').checked = state.byPlatform;
    $('include-roots').checked = state.includeRoots;
    for (const r of document.querySelectorAll('input[name=mode]')) r.checked = r.value === state.mode;
    const s = state.series;
    $('from').value = toInput(state.from || (s && s.from));
    $('to').value = toInput(state.to || (s && s.to));
  }

  function bindControls() {
    $('story').addEventListener('change', () => {
      state.story = $('story').value;
      state.from = state.to = '';
      state.drill = null;
      renderDrillEmpty();
      load();
    });
    $('interval').addEventListener('change', () => { state.interval = $('interval').value; load(); });
    $('tz').addEventListener('change', async () => {
      state.tz = $('tz').value;
      await load();
      loadDrill(); // same instants, shown in the new timezone
    });
    $('platform').addEventListener('change', () => { state.platform = $('platform').value; load(); });
    $('by-platform').addEventListener('change', () => { state.byPlatform = $('by-platform').checked; load(); });
    $('include-roots').addEventListener('change', () => { state.includeRoots = $('include-roots').checked; load(); });
    for (const r of document.querySelectorAll('input[name=mode]')) {
      r.addEventListener('change', () => { state.mode = r.value; render(); writeURL(); updateExports(); });
    }
    $('from').addEventListener('change', () => { state.from = fromInput($('from').value); load(); });
    $('to').addEventListener('change', () => { state.to = fromInput($('to').value); load(); });
    $('reset-zoom').addEventListener('click', () => { state.from = state.to = ''; load(); });
    for (const c of document.querySelectorAll('.stance-filter')) c.addEventListener('change', () => reloadDrill());
    $('drill-platform').addEventListener('change', () => reloadDrill());
    $('next-page').addEventListener('click', () => pageDrill(+1));
    $('prev-page').addEventListener('click', () => pageDrill(-1));
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(render, 150);
    });
  }

  // ---- loading -----------------------------------------------------------

  function currentStory() {
    return state.stories.find((s) => s.id === state.story) || null;
  }

  function seriesParams() {
    return {
      story: state.story, from: state.from, to: state.to, interval: state.interval === 'auto' ? '' : state.interval,
      tz: state.tz === 'UTC' ? '' : state.tz, platform: state.platform,
      include_roots: state.includeRoots ? '1' : '',
    };
  }

  let loadSeq = 0;
  async function load(quiet) {
    if (!state.story) return;
    const seq = ++loadSeq;
    if (!quiet) setStatus('Loading…', true);
    try {
      const sp = seriesParams();
      if (state.byPlatform) sp.by = 'platform';
      const [series, crawls] = await Promise.all([
        api('series', sp),
        api('crawls', { story: state.story, from: state.from, to: state.to }),
      ]);
      if (seq !== loadSeq) return; // a newer load started
      state.series = series;
      state.crawls = crawls;
      setStatus('', true);
      render();
      syncControls();
      writeURL();
      updateExports();
      scheduleLive();
      window.reactionsDashboard.loads++;
      window.reactionsDashboard.ready = true;
    } catch (e) {
      if (seq !== loadSeq) return;
      setStatus(e.message);
    }
  }

  function scheduleLive() {
    const running = state.crawls && state.crawls.running;
    $('live').hidden = !running;
    if (running && !state.timer) {
      const every = Math.max(1, (state.crawls.refresh_seconds || 5)) * 1000;
      state.timer = setInterval(() => load(true), every);
    } else if (!running && state.timer) {
      clearInterval(state.timer);
      state.timer = null;
    }
  }

  // ---- rendering --------------------------------------------------------

  function render() {
    const s = state.series;
    if (!s) return;
    const story = currentStory();
    $('title').textContent = story && story.title ? story.title : state.story;
    document.title = 'reactions: ' + ($('title').textContent || 'dashboard');
    $('demo-banner').hidden = !(story && story.demo) && !state.story.startsWith('demo-');
    renderDemoReport(story);
    $('tzname').textContent = s.tz;
    const offs = new Set([offsetMinutes(Date.parse(s.from), s.tz), offsetMinutes(Date.parse(s.to), s.tz)]);
    $('tzoffset').textContent = '(' + Array.from(offs).map(fmtOffset).join(' / ') + ')';
    $('bucket-name').textContent = s.interval + (s.interval_auto ? ' (auto)' : '');
    $('bucket-note').textContent = '· ' + s.bucket_alignment;
    const t = s.totals;
    $('totals').textContent = 'n = ' + t.total + ' · support ' + t.support + ' · criticism ' + t.criticism +
      ' · neutral ' + t.neutral + ' · criticism share ' + fmtShare(t.criticism_share) +
      ' · ' + fmtLocal(s.from) + ' to ' + fmtLocal(s.to) + (s.platform ? ' · ' + platformLabel(s.platform) + ' only' : '');
    renderWarnings();
    renderMain();
    renderShare();
    renderPlatforms();
    renderSpikes();
    renderCompleteness();
  }

  function fmtShare(v) {
    return v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%';
  }

  function platformLabel(p) {
    return PLATFORMS[p] ? PLATFORMS[p][0] : 'other';
  }

  function renderDemoReport(story) {
    const report = story && story.demo_report;
    $('demo-report').hidden = !report;
    if (!report) return;
    let text = report;
    try { text = JSON.stringify(JSON.parse(report), null, 2); } catch (e) { /* free text */ }
    $('demo-report-text').textContent = text;
  }

  function renderWarnings() {
    const c = state.crawls;
    const box = $('warnings');
    clear(box);
    const ws = (c && c.warnings) || [];
    box.hidden = ws.length === 0;
    const cw = $('chart-warning');
    cw.hidden = ws.length === 0;
    if (ws.length === 0) return;
    box.appendChild(el('div', null, '⚠ Some sources are incomplete: counts from them are missing, not zero.'));
    const ul = el('ul');
    for (const w of ws) ul.appendChild(el('li', null, w.source + ' (' + platformLabel(w.platform) + '): ' + w.warning));
    box.appendChild(ul);
    cw.textContent = '⚠ Incomplete: ' + ws.map((w) => w.source + ' ' + w.warning.split(':')[0]).join('; ') + '.';
  }

  // mergedGaps merges the not-crawled periods of every source.
  function mergedGaps() {
    const gs = ((state.crawls && state.crawls.not_crawled) || [])
      .map((g) => [Date.parse(g.from) / 1000, Date.parse(g.to) / 1000, g.source])
      .sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const g of gs) {
      const last = out[out.length - 1];
      if (last && g[0] <= last[1]) {
        last[1] = Math.max(last[1], g[1]);
        if (!last[2].includes(g[2])) last[2].push(g[2]);
      } else {
        out.push([g[0], g[1], [g[2]]]);
      }
    }
    return out;
  }

  function markers() {
    const story = currentStory();
    const out = [];
    if (!story) return out;
    if (story.published) out.push([Date.parse(story.published) / 1000, 'published']);
    for (const a of story.annotations || []) out.push([Date.parse(a.at) / 1000, a.label]);
    return out;
  }

  function chartWidth() {
    return Math.max(320, $('chart').clientWidth || 800);
  }

  function destroy(name) {
    if (charts[name]) { charts[name].destroy(); charts[name] = null; }
  }

  function tzDate(ts) {
    return uPlot.tzDate(new Date(ts * 1e3), state.series ? state.series.tz : 'UTC');
  }

  function xsOf(s) {
    const xs = s.buckets.map((b) => Date.parse(b.start) / 1000);
    xs.push(Date.parse(s.to) / 1000); // the end of the last bucket
    return xs;
  }

  function withLast(a) {
    return a.concat(a.length ? [a[a.length - 1]] : []);
  }

  function renderMain() {
    const s = state.series;
    destroy('main');
    const n = s.buckets.length;
    const raw = {};
    for (const st of STANCES) raw[st] = s.buckets.map((b) => b[st]);
    const stacked = state.mode === 'stacked';
    const data = [xsOf(s)];
    for (let k = 0; k < STANCES.length; k++) {
      // Stacked: series k holds the sum of stances k..end, drawn first to
      // last so that the smaller sums paint over the larger ones.
      const vals = stacked
        ? s.buckets.map((b) => STANCES.slice(k).reduce((acc, st) => acc + b[st], 0))
        : raw[STANCES[k]];
      data.push(withLast(vals));
    }
    const stepped = uPlot.paths.stepped({ align: 1 });
    const gaps = mergedGaps();
    const marks = markers();
    const spikes = s.spikes || [];
    const opts = {
      width: chartWidth(),
      height: 320,
      tzDate,
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'reactions' } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.12 : 1] } },
      axes: [{ label: 'Time (' + s.tz + ')' }, { label: 'reactions per ' + s.interval }],
      legend: { live: true },
      series: [
        { label: 'Time', value: (u, v) => (v == null ? '–' : fmtLocal(v * 1000)) },
      ].concat(STANCES.map((st) => ({
        label: st,
        stroke: COLORS[st],
        fill: stacked ? FILLS[st] : undefined,
        width: stacked ? 1 : 2,
        paths: stepped,
        points: { show: false },
        value: (u, v, si, i) => (i == null ? '–' : String(raw[st][Math.min(i, n - 1)] ?? 0)),
      }))),
      hooks: {
        drawClear: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(120,120,120,0.18)';
          for (const g of gaps) {
            const x0 = u.valToPos(g[0], 'x', true);
            const x1 = u.valToPos(g[1], 'x', true);
            const a = Math.max(x0, u.bbox.left);
            const b = Math.min(x1, u.bbox.left + u.bbox.width);
            if (b > a) ctx.fillRect(a, u.bbox.top, b - a, u.bbox.height);
          }
          ctx.restore();
        }],
        draw: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          const dpr = devicePixelRatio || 1;
          ctx.font = (11 * dpr) + 'px sans-serif';
          for (const [x, label] of marks) {
            const px = u.valToPos(x, 'x', true);
            if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = '#333';
            ctx.setLineDash([4 * dpr, 3 * dpr]);
            ctx.beginPath();
            ctx.moveTo(px, u.bbox.top);
            ctx.lineTo(px, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = '#333';
            ctx.fillText(String(label).slice(0, 60), px + 3 * dpr, u.bbox.top + 12 * dpr);
          }
          ctx.setLineDash([]);
          ctx.fillStyle = '#c00';
          for (const sp of spikes) {
            const x0 = u.valToPos(Date.parse(sp.start) / 1000, 'x', true);
            const x1 = u.valToPos(Date.parse(sp.end) / 1000, 'x', true);
            const cx = (x0 + x1) / 2;
            const top = u.valToPos(stacked ? sp.total : Math.max(sp.support, sp.criticism, sp.neutral), 'y', true) - 4 * dpr;
            ctx.beginPath();
            ctx.moveTo(cx, top);
            ctx.lineTo(cx - 5 * dpr, top - 8 * dpr);
            ctx.lineTo(cx + 5 * dpr, top - 8 * dpr);
            ctx.closePath();
            ctx.fill();
          }
          ctx.restore();
        }],
        setSelect: [(u) => {
          const w = u.select.width;
          if (w > 4) {
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + w, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomTo(a, b);
          }
        }],
      },
    };
    const u = new uPlot(opts, data, $('chart'));
    charts.main = u;
    // A click (not a drag) on a bucket lists its reactions.
    let downX = null;
    u.over.addEventListener('mousedown', (e) => { downX = e.clientX; });
    u.over.addEventListener('click', (e) => {
      if (downX !== null && Math.abs(e.clientX - downX) > 3) return;
      // The bucket whose [start, next start) holds the clicked time (a
      // stepped chart: the nearest point may be the next bucket's).
      const t = u.posToVal(e.clientX - u.over.getBoundingClientRect().left, 'x');
      const xs = u.data[0];
      if (!(t >= xs[0]) || !(t < xs[n])) return;
      let lo = 0;
      let hi = n;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (xs[mid] <= t) lo = mid; else hi = mid;
      }
      openBucket(lo);
    });
    $('gap-key').hidden = gaps.length === 0;
    $('gap-explained').textContent = gaps.length ? state.crawls.not_crawled_explained : '';
    u.over.title = gaps.length ? 'Shaded periods: ' + state.crawls.not_crawled_explained : '';
  }

  function renderShare() {
    const s = state.series;
    destroy('share');
    const vals = withLast(s.buckets.map((b) => b.criticism_share));
    const u = new uPlot({
      width: chartWidth(),
      height: 140,
      tzDate,
      cursor: { drag: { x: false, y: false }, sync: { key: 'reactions' } },
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [{}, { label: 'criticism share', values: (u, ticks) => ticks.map((v) => Math.round(v * 100) + '%') }],
      series: [
        { label: 'Time', value: (u, v) => (v == null ? '–' : fmtLocal(v * 1000)) },
        {
          label: 'criticism ÷ (support + criticism)', stroke: COLORS.criticism, width: 2, spanGaps: false,
          paths: uPlot.paths.stepped({ align: 1 }), points: { show: false },
          value: (u, v) => fmtShare(v),
        },
      ],
    }, [xsOf(s), vals], $('share-chart'));
    charts.share = u;
  }

  function renderPlatforms() {
    const s = state.series;
    destroy('platform');
    const box = $('platform-chart');
    const ps = (state.byPlatform && s.platforms) || [];
    box.hidden = ps.length === 0;
    if (ps.length === 0) return;
    const u = new uPlot({
      width: chartWidth(),
      height: 200,
      tzDate,
      cursor: { drag: { x: false, y: false }, sync: { key: 'reactions' } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { label: 'per platform' }],
      series: [{ label: 'Time', value: (u, v) => (v == null ? '–' : fmtLocal(v * 1000)) }].concat(ps.map((p) => ({
        label: platformLabel(p.platform),
        stroke: PLATFORMS[p.platform] ? PLATFORMS[p.platform][1] : '#555',
        width: 1.5,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
      }))),
    }, [xsOf(s)].concat(ps.map((p) => withLast(p.total))), box);
    charts.platform = u;
  }

  function renderSpikes() {
    const tb = $('spike-rows');
    clear(tb);
    const spikes = state.series.spikes || [];
    if (spikes.length === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No bucket stands out from its neighbours.');
      td.colSpan = 7;
      tr.appendChild(td);
      tb.appendChild(tr);
      return;
    }
    for (const sp of spikes) {
      const tr = el('tr', 'clickable');
      tr.appendChild(el('td', null, fmtLocal(sp.start)));
      for (const k of ['total', 'support', 'criticism', 'neutral']) tr.appendChild(el('td', 'num', sp[k]));
      tr.appendChild(el('td', 'num', fmtShare(sp.criticism_share)));
      tr.appendChild(el('td', 'num', sp.score.toFixed(1)));
      tr.title = 'List the reactions of this bucket';
      tr.addEventListener('click', () => openRange(sp.start, sp.end));
      tb.appendChild(tr);
    }
  }

  function renderCompleteness() {
    const tb = $('source-rows');
    clear(tb);
    const sources = (state.crawls && state.crawls.sources) || [];
    if (sources.length === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No source is defined and no crawl run is recorded.');
      td.colSpan = 10;
      tr.appendChild(td);
      tb.appendChild(tr);
    }
    for (const src of sources) {
      const l = src.latest;
      const tr = el('tr', src.warning ? 'warn' : null);
      tr.appendChild(el('td', null, src.source));
      tr.appendChild(el('td', null, platformLabel(src.platform)));
      tr.appendChild(el('td', null, l ? l.status : 'never ran'));
      tr.appendChild(el('td', null, l ? fmtLocal(l.started) : '–'));
      tr.appendChild(el('td', null, l ? (l.finished ? fmtLocal(l.finished) : 'running') : '–'));
      for (const k of ['items', 'new_items', 'errors', 'blocked']) tr.appendChild(el('td', 'num', l ? l[k] : '–'));
      const note = el('td');
      if (src.warning) note.appendChild(el('strong', null, '⚠ ' + src.warning));
      else if (l && l.message) note.textContent = l.message;
      if (src.runs && src.runs.length > 1) {
        const d = el('details');
        d.appendChild(el('summary', null, (src.runs.length - 1) + ' earlier run(s)'));
        const ul = el('ul');
        for (const r of src.runs.slice(1)) {
          ul.appendChild(el('li', null, fmtLocal(r.started) + ' · ' + r.status + ' · ' + r.items + ' items · ' +
            r.errors + ' errors · ' + r.blocked + ' blocked' + (r.message ? ' · ' + r.message : '')));
        }
        d.appendChild(ul);
        note.appendChild(d);
      }
      tr.appendChild(note);
      tb.appendChild(tr);
    }
  }

  // ---- zoom and drill-down ---------------------------------------------

  function zoomTo(a, b) {
    if (!(b > a)) return;
    state.from = isoZ(a * 1000);
    state.to = isoZ(b * 1000);
    load();
  }

  function openBucket(i) {
    const s = state.series;
    const b = s.buckets[i];
    const end = i + 1 < s.buckets.length ? s.buckets[i + 1].start : s.to;
    openRange(b.start, end);
  }

  function openRange(from, to) {
    state.drill = { from, to, pages: [''], page: 0 };
    $('drill-platform').value = state.platform || $('drill-platform').value;
    loadDrill();
  }

  function reloadDrill() {
    if (!state.drill) return;
    state.drill.pages = [''];
    state.drill.page = 0;
    loadDrill();
  }

  function pageDrill(dir) {
    const d = state.drill;
    if (!d) return;
    const next = d.page + dir;
    if (next < 0 || next >= d.pages.length) return;
    d.page = next;
    loadDrill();
  }

  function renderDrillEmpty() {
    clear($('reactions'));
    $('drill-range').textContent = 'Click a bucket of the chart or a spike to list its reactions.';
    $('page-info').textContent = '';
    $('prev-page').disabled = $('next-page').disabled = true;
  }

  const PAGE = 50;
  let drillSeq = 0;
  async function loadDrill() {
    const d = state.drill;
    if (!d) return;
    const seq = ++drillSeq;
    const stances = Array.from(document.querySelectorAll('.stance-filter')).filter((c) => c.checked).map((c) => c.value);
    const list = $('reactions');
    $('drill-range').textContent = 'Reactions posted from ' + fmtLocal(d.from) + ' to ' + fmtLocal(d.to) + ' (' + state.tz + ')';
    if (stances.length === 0) {
      clear(list);
      $('page-info').textContent = 'Choose at least one stance.';
      return;
    }
    try {
      const res = await api('reactions', {
        story: state.story, from: d.from, to: d.to, stance: stances.length === 3 ? '' : stances.join(','),
        platform: $('drill-platform').value, limit: PAGE, cursor: d.pages[d.page],
      });
      if (seq !== drillSeq) return;
      clear(list);
      for (const r of res.reactions) list.appendChild(reactionItem(r));
      if (res.next_cursor && d.pages.length === d.page + 1) d.pages.push(res.next_cursor);
      const first = d.page * PAGE + 1;
      $('page-info').textContent = res.count === 0 ? 'No reactions.' :
        first + '–' + (first + res.reactions.length - 1) + ' of ' + res.count;
      $('prev-page').disabled = d.page === 0;
      $('next-page').disabled = !res.next_cursor;
    } catch (e) {
      if (seq !== drillSeq) return;
      setStatus(e.message);
    }
  }

  function reactionItem(r) {
    const li = el('li', STANCES.includes(r.stance) ? r.stance : 'neutral');
    const meta = el('div', 'meta');
    const time = el('time', null, fmtLocal(r.created_at, true));
    time.dateTime = r.created_at;
    meta.appendChild(time);
    meta.appendChild(document.createTextNode(' · ' + platformLabel(r.platform) + ' · '));
    meta.appendChild(el('span', 'stance', r.stance));
    meta.appendChild(document.createTextNode(' · score ' + Number(r.stance_score).toFixed(2) +
      ' · ♥ ' + r.likes + (r.deleted ? ' · deleted' : '') + ' · '));
    if (r.is_root) {
      const tag = el('span', 'starter', 'thread starter');
      tag.title = 'The post that opens a thread the crawler followed: left out of the chart unless "count thread starters" is on';
      meta.appendChild(tag);
      meta.appendChild(document.createTextNode(' · '));
    }
    meta.appendChild(safeLink(r.url, 'original'));
    li.appendChild(meta);
    if (r.content_warning) li.appendChild(el('p', 'cw', 'CW: ' + r.content_warning));
    li.appendChild(el('p', 'text', r.text));
    return li;
  }

  // ---- exports -------------------------------------------------------------

  function updateExports() {
    const s = state.series;
    if (!s) return;
    const base = {
      story: state.story, from: s.from, to: s.to, interval: s.interval,
      tz: s.tz === 'UTC' ? '' : s.tz, platform: state.platform,
      include_roots: state.includeRoots ? '1' : '',
    };
    const href = (path, extra) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(Object.assign({}, base, extra))) if (v) q.set(k, v);
      return '/api/v1/' + path + '?' + q.toString();
    };
    $('x-series-csv').href = href('export', { what: 'series', format: 'csv' });
    $('x-series-tidy').href = href('export', { what: 'series', format: 'csv', tidy: 'true' });
    $('x-series-parquet').href = href('export', { what: 'series', format: 'parquet' });
    $('x-series-json').href = href('export', { what: 'series', format: 'json' });
    $('x-series-meta').href = href('export', { what: 'series', format: 'csv', meta: 'true' });
    const r = { what: 'reactions', interval: '', include_roots: '' };
    $('x-reactions-csv').href = href('export', Object.assign({ format: 'csv' }, r));
    $('x-reactions-parquet').href = href('export', Object.assign({ format: 'parquet' }, r));
    $('x-reactions-ndjson').href = href('export', Object.assign({ format: 'ndjson' }, r));
    $('x-reactions-json').href = href('export', Object.assign({ format: 'json' }, r));
    $('x-reactions-meta').href = href('export', Object.assign({ format: 'csv', meta: 'true' }, r));
    $('x-figure-svg').href = href('figure.svg', { mode: state.mode });
    $('x-figure-png').href = href('figure.png', { mode: state.mode });
  }

  // ---- start ---------------------------------------------------------------

  async function start() {
    readURL();
    fillTimezones();
    bindControls();
    if (typeof uPlot === 'undefined') {
      setStatus('The chart library did not load: run make build.');
      return;
    }
    try {
      const res = await api('stories', {});
      state.stories = res.stories;
    } catch (e) {
      setStatus(e.message);
      return;
    }
    const sel = $('story');
    for (const s of state.stories) {
      const o = el('option', null, s.title ? s.title + ' (' + s.id + ')' : s.id);
      o.value = s.id;
      sel.appendChild(o);
    }
    if (!state.story && state.stories.length) state.story = state.stories[0].id;
    if (!state.story) {
      setStatus('No story is stored yet: crawl one (reactions crawl STORY.yaml) or load the demo (reactions demo).');
      return;
    }
    syncControls();
    $('footer').textContent = 'reactions dashboard';
    await load();
  }

  document.addEventListener('DOMContentLoaded', start);
}());
