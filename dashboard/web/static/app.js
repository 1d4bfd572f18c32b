// reactions dashboard. Plain JavaScript, no framework.
//
// Security: crawled text is hostile. Every datum is put into the page with
// textContent or DOM APIs, never innerHTML; links are http(s) only and carry
// rel="noopener noreferrer nofollow" and referrerpolicy="no-referrer"; the
// server's Content-Security-Policy allows nothing but this origin.
//
// Views: Chart (the series, drill-down, the validation report), Code (one
// reaction at a time from a hand-coding sample, blind: the classifier's
// label and score are never shown there) and Adjudicate (the items whose
// coders disagree).
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

  const VIEWS = ['chart', 'code', 'adjudicate'];

  const state = {
    story: '', from: '', to: '', interval: 'auto', tz: 'UTC', mode: 'stacked', platform: '', byPlatform: false, includeRoots: false,
    view: 'chart', sample: '',
    stories: [], series: null, crawls: null, threads: null,
    report: null, reportStale: true, // the story's coding report (GET /api/v1/coding/report)
    thread: '', // the thread whose reactions the drill-down lists (its root id)
    compare: { stories: [], align: 'published', show: 'share', interval: 'auto', data: null },
    drill: null, // {from, to, thread, pages: [cursor...], page}
    timer: null,
  };

  // The test hook: read-only views of what the charts show.
  const charts = { main: null, share: null, platform: null, compare: null };
  window.reactionsDashboard = {
    state: () => JSON.parse(JSON.stringify({ story: state.story, from: state.from, to: state.to, interval: state.interval, tz: state.tz, mode: state.mode })),
    series: () => state.series,
    chart: () => charts.main,
    crawls: () => state.crawls,
    shareChart: () => charts.share,
    report: () => state.report,
    coding: () => codingState(),
    threads: () => state.threads,
    compare: () => state.compare.data,
    compareChart: () => charts.compare,
    compares: 0,
    ready: false,
    loads: 0,
    reports: 0,
    codingLoads: 0,
    disputeLoads: 0,
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

  // post sends a JSON body (the API's only write is POST /api/v1/codings).
  async function post(path, body) {
    const res = await fetch('/api/v1/' + path, {
      method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    let answer = null;
    try { answer = await res.json(); } catch (e) { answer = null; }
    if (!res.ok) {
      throw new Error((answer && answer.error) || ('HTTP ' + res.status));
    }
    return answer;
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
    state.view = VIEWS.includes(q.get('view')) ? q.get('view') : 'chart';
    state.sample = q.get('sample') || '';
    state.thread = q.get('thread') || '';
    const c = state.compare;
    c.stories = (q.get('compare') || '').split(',').filter((x) => x);
    c.align = q.get('align') === 'calendar' ? 'calendar' : 'published';
    c.show = q.get('show') === 'pct' ? 'pct' : 'share';
    c.interval = q.get('compare_interval') || 'auto';
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
    if (state.view !== 'chart') q.set('view', state.view);
    if (state.view === 'code' && state.sample) q.set('sample', state.sample);
    if (state.drill && state.drill.thread) q.set('thread', state.drill.thread);
    const c = state.compare;
    if (c.data) {
      q.set('compare', c.stories.join(','));
      if (c.align !== 'published') q.set('align', c.align);
      if (c.show !== 'share') q.set('show', c.show);
      if (c.interval !== 'auto') q.set('compare_interval', c.interval);
    }
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
      storyChanged();
      load();
    });
    $('interval').addEventListener('change', () => { state.interval = $('interval').value; load(); });
    $('tz').addEventListener('change', async () => {
      state.tz = $('tz').value;
      renderCodeItem(); // same instants, shown in the new timezone
      renderDisputes();
      await load();
      loadDrill(); // same instants, shown in the new timezone
      if (state.compare.data) loadCompare();
    });
    $('platform').addEventListener('change', () => {
      state.platform = $('platform').value;
      load();
      if (state.compare.data) loadCompare();
    });
    $('by-platform').addEventListener('change', () => { state.byPlatform = $('by-platform').checked; load(); });
    $('include-roots').addEventListener('change', () => {
      state.includeRoots = $('include-roots').checked;
      load();
      if (state.compare.data) loadCompare();
    });
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
    $('compare-go').addEventListener('click', () => loadCompare());
    $('compare-align').addEventListener('change', () => { state.compare.align = $('compare-align').value; if (state.compare.data) loadCompare(); });
    $('compare-interval').addEventListener('change', () => { state.compare.interval = $('compare-interval').value; if (state.compare.data) loadCompare(); });
    $('compare-show').addEventListener('change', () => { state.compare.show = $('compare-show').value; renderCompare(); writeURL(); });
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { render(); renderCompare(); }, 150);
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
      const [series, crawls, threads] = await Promise.all([
        api('series', sp),
        api('crawls', { story: state.story, from: state.from, to: state.to }),
        api('threads', { story: state.story, from: state.from, to: state.to, platform: state.platform }),
      ]);
      if (seq !== loadSeq) return; // a newer load started
      state.series = series;
      state.crawls = crawls;
      state.threads = threads;
      setStatus('', true);
      render();
      syncControls();
      writeURL();
      updateExports();
      scheduleLive();
      if (state.thread) { // a link to a thread's reactions
        openThread(state.thread);
        state.thread = '';
      }
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
      (isNum(t.criticism_share_adj) ? ' (corrected ' + fmtShare(t.criticism_share_adj) + ', 95% interval ' +
        fmtShare(t.criticism_share_lo) + '–' + fmtShare(t.criticism_share_hi) + ')' : '') +
      ' · ' + fmtLocal(s.from) + ' to ' + fmtLocal(s.to) + (s.platform ? ' · ' + platformLabel(s.platform) + ' only' : '');
    renderWarnings();
    renderMain();
    renderShare();
    renderShareLegend();
    renderPlatforms();
    renderSpikes();
    renderThreads();
    renderCompleteness();
  }

  function fmtShare(v) {
    return v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%';
  }

  function isNum(v) {
    return typeof v === 'number' && Number.isFinite(v);
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

  // hasCorrection reports whether the series carries corrected shares.
  function hasCorrection(s) {
    return s.buckets.some((b) => isNum(b.criticism_share_adj));
  }

  // shareValues returns a share column drawn as steps: one value per bucket
  // (null where the bucket has none), then, at the end of the last bucket,
  // the last value that is not null, so that the path reaches the end of
  // every bucket with a value (gaps are clipped by nullBuckets).
  function shareValues(bs, k) {
    const vals = bs.map((b) => (isNum(b[k]) ? b[k] : null));
    let last = null;
    for (const v of vals) if (v !== null) last = v;
    vals.push(last);
    return vals;
  }

  // nullBuckets is a uPlot gaps refiner: the gaps are exactly the buckets
  // without a value, from their start to the next bucket's start (a
  // stepped path would otherwise drop a bucket between two gaps).
  function nullBuckets(u, si) {
    const xs = u.data[0];
    const ys = u.data[si];
    // Shifted by half the stroke, as uPlot shifts its own gaps, so that
    // the riser into the next bucket is clipped too.
    const half = ((u.series[si].width || 1) * (devicePixelRatio || 1)) / 2;
    const gaps = [];
    for (let i = 0; i + 1 < xs.length; i++) {
      if (ys[i] !== null && ys[i] !== undefined) continue;
      const a = Math.round(u.valToPos(xs[i], 'x', true) + half);
      const b = Math.round(u.valToPos(xs[i + 1], 'x', true) + half);
      const last = gaps[gaps.length - 1];
      if (last && last[1] >= a) last[1] = b;
      else gaps.push([a, b]);
    }
    return gaps;
  }

  // renderShare draws the criticism share: the raw share from the
  // classifier's labels and, when the story's codes allow it, the corrected
  // share with its 95 % band. A bucket without a share (too small, or no
  // support and criticism) has a null point: a gap, never 0 % or 100 %.
  function renderShare() {
    const s = state.series;
    destroy('share');
    const bs = s.buckets;
    const n = bs.length;
    const adj = hasCorrection(s);
    const stepped = uPlot.paths.stepped({ align: 1 });
    const time = { label: 'Time', value: (u, v) => (v == null ? '–' : fmtLocal(v * 1000)) };
    // The legend reads the buckets, not the drawn columns (whose last
    // point repeats a value).
    const at = (k, i) => (i == null || n === 0 ? null : bs[Math.min(i, n - 1)][k]);
    const line = (label, stroke, width, dash, value) => ({
      label, stroke, width, dash, spanGaps: false, gaps: nullBuckets, paths: stepped, points: { show: false }, value,
    });
    const series = [time];
    const data = [xsOf(s)];
    let bands;
    if (adj) {
      data.push(shareValues(bs, 'criticism_share'), shareValues(bs, 'criticism_share_lo'),
        shareValues(bs, 'criticism_share_hi'), shareValues(bs, 'criticism_share_adj'));
      series.push(
        line('raw share (classifier labels)', '#555555', 1.5, [5, 4], (u, v, si, i) => fmtShare(at('criticism_share', i))),
        line('95% interval, low', 'rgba(213,94,0,0.45)', 1, undefined, (u, v, si, i) => fmtShare(at('criticism_share_lo', i))),
        line('95% interval, high', 'rgba(213,94,0,0.45)', 1, undefined, (u, v, si, i) => fmtShare(at('criticism_share_hi', i))),
        line('corrected share (95% interval)', COLORS.criticism, 2, undefined, (u, v, si, i) => {
          const a = at('criticism_share_adj', i);
          return isNum(a) ? fmtShare(a) + ' (' + fmtShare(at('criticism_share_lo', i)) + '–' + fmtShare(at('criticism_share_hi', i)) + ')' : '–';
        }),
      );
      bands = [{ series: [3, 2], fill: 'rgba(213,94,0,0.2)' }];
    } else {
      data.push(shareValues(bs, 'criticism_share'));
      series.push(line('criticism ÷ (support + criticism)', COLORS.criticism, 2, undefined, (u, v, si, i) => fmtShare(at('criticism_share', i))));
    }
    const u = new uPlot({
      width: chartWidth(),
      height: adj ? 180 : 140,
      tzDate,
      cursor: { drag: { x: false, y: false }, sync: { key: 'reactions' } },
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [{}, { label: 'criticism share', values: (u, ticks) => ticks.map((v) => Math.round(v * 100) + '%') }],
      series,
      bands,
    }, data, $('share-chart'));
    if (adj) {
      // The band's edges are read in the corrected share's legend entry.
      const rows = u.root.querySelectorAll('.u-legend .u-series');
      for (const i of [2, 3]) if (rows[i]) rows[i].classList.add('band-edge');
    }
    charts.share = u;
  }

  // minBucket is the small-bucket threshold, from the series or the report.
  function minBucket() {
    const s = state.series;
    if (s && isNum(s.min_bucket)) return s.min_bucket;
    return state.report && isNum(state.report.min_bucket) ? state.report.min_bucket : null;
  }

  // renderShareLegend says what the share panel's lines and band are, and
  // states the small-bucket threshold.
  function renderShareLegend() {
    const s = state.series;
    const box = $('share-legend');
    if (!s) return;
    clear(box);
    const r = state.report;
    // The validation behind the corrected figures: the series' own, else
    // the report's.
    const n = s.correction ? s.correction.n_validation : r && r.classifier ? r.classifier.n : null;
    if (hasCorrection(s)) {
      box.appendChild(el('span', 'legend-key', ''));
      box.lastChild.appendChild(el('span', 'swatch corrected'));
      box.lastChild.appendChild(document.createTextNode(' corrected criticism share'));
      const band = el('span', 'legend-key');
      band.appendChild(el('span', 'swatch band'));
      band.appendChild(document.createTextNode(' its 95% interval'));
      box.appendChild(band);
      const raw = el('span', 'legend-key');
      raw.appendChild(el('span', 'swatch raw'));
      raw.appendChild(document.createTextNode(' raw share (classifier labels)'));
      box.appendChild(raw);
      box.appendChild(el('span', 'explain-line', 'Share: criticism ÷ (support + criticism). The corrected share adjusts the classifier\'s labels for ' +
        'its errors measured on ' + (isNum(n) ? n + ' hand-coded items' : 'the hand-coded items') + ' (adjusted classify-and-count); the band is its ' +
        '95% interval, which reflects both the bucket\'s size and the uncertainty of those error rates (a bootstrap of the coded sample).'));
    } else {
      box.appendChild(el('span', 'explain-line', 'Share: criticism ÷ (support + criticism) from the classifier\'s labels, not corrected. ' +
        (s.correction_note ? s.correction_note
          : r && r.n_coded > 0 ? 'The codes do not yet allow a correction (see Validation below).'
            : 'No hand-coded sample of this story measures the classifier\'s errors yet (Code view).')));
    }
    const m = minBucket();
    if (m !== null) {
      box.appendChild(el('span', 'explain-line', 'Buckets with fewer than ' + m + ' support + criticism reactions show no point ' +
        '(a gap, not 0% or 100%): too few to say anything.'));
    }
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

  function platformShort(id) {
    return platformLabel(String(id).split(':')[0]);
  }

  // threadLink is the dashboard's link listing a thread's reactions; a
  // plain click opens it here without reloading.
  function threadLink(root) {
    const q = new URLSearchParams(location.search);
    q.set('thread', root);
    const a = document.createElement('a');
    a.href = '?' + q.toString();
    a.textContent = 'list its reactions';
    a.className = 'thread-link';
    a.addEventListener('click', (ev) => {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      openThread(root);
    });
    return a;
  }

  function threadRows(tb, threads, empty) {
    clear(tb);
    if (!threads || threads.length === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', empty);
      td.colSpan = 7;
      tr.appendChild(td);
      tb.appendChild(tr);
      return;
    }
    for (const th of threads) {
      const tr = el('tr', 'clickable');
      const cell = el('td');
      cell.appendChild(document.createTextNode(platformShort(th.root_id) + ' · '));
      cell.appendChild(threadLink(th.root_id));
      if (th.url) {
        cell.appendChild(document.createTextNode(' · '));
        cell.appendChild(safeLink(th.url, 'original'));
      }
      cell.appendChild(el('span', 'starter-text', th.text || th.root_id));
      tr.appendChild(cell);
      for (const k of ['reactions', 'support', 'criticism', 'neutral']) tr.appendChild(el('td', 'num', th[k]));
      tr.appendChild(el('td', 'num', fmtShare(th.criticism_share)));
      tr.appendChild(el('td', 'num', th.authors));
      tr.title = 'List the reactions of this thread';
      tr.addEventListener('click', (ev) => {
        if (ev.target.closest('a')) return;
        openThread(th.root_id);
      });
      tb.appendChild(tr);
    }
  }

  function renderThreads() {
    const t = state.threads;
    if (!t) return;
    $('thread-min').textContent = t.min_size;
    threadRows($('thread-size-rows'), t.by_size, 'No thread has reactions in this range.');
    threadRows($('thread-crit-rows'), t.by_criticism, 'No thread has ' + t.min_size + ' or more support and criticism reactions in this range.');
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

  // ---- comparison of stories ------------------------------------------

  const COMPARE_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00'];

  function fillComparePicks() {
    const box = $('compare-stories');
    for (const s of state.stories) {
      const label = el('label');
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.className = 'compare-pick';
      cb.value = s.id;
      cb.checked = state.compare.stories.includes(s.id);
      cb.addEventListener('change', syncComparePicks);
      label.appendChild(cb);
      label.appendChild(document.createTextNode(' ' + (s.title ? s.title + ' (' + s.id + ')' : s.id) + (s.published ? '' : ' · no published time')));
      box.appendChild(label);
    }
    $('compare-align').value = state.compare.align;
    $('compare-show').value = state.compare.show;
    $('compare-interval').value = state.compare.interval;
    syncComparePicks();
  }

  // syncComparePicks keeps 2 to 5 stories pickable.
  function syncComparePicks() {
    const picks = Array.from(document.querySelectorAll('.compare-pick'));
    const on = picks.filter((c) => c.checked);
    for (const c of picks) c.disabled = !c.checked && on.length >= 5;
    state.compare.stories = on.map((c) => c.value);
    $('compare-go').disabled = on.length < 2;
  }

  function compareParams() {
    const c = state.compare;
    return {
      story: c.stories.join(','), align: c.align, interval: c.interval === 'auto' ? '' : c.interval,
      tz: c.align === 'calendar' && state.tz !== 'UTC' ? state.tz : '', platform: state.platform,
      include_roots: state.includeRoots ? '1' : '',
    };
  }

  let compareSeq = 0;
  async function loadCompare() {
    const c = state.compare;
    if (c.stories.length < 2) return;
    const seq = ++compareSeq;
    $('compare-status').textContent = 'Loading…';
    try {
      const data = await api('compare', compareParams());
      if (seq !== compareSeq) return;
      c.data = data;
      $('compare-status').textContent = '';
      renderCompare();
      writeURL();
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(compareParams())) if (v) q.set(k, v);
      q.set('what', 'compare');
      $('x-compare-csv').href = '/api/v1/export?' + q.toString();
      q.set('meta', 'true');
      $('x-compare-meta').href = '/api/v1/export?' + q.toString();
      window.reactionsDashboard.compares++;
    } catch (e) {
      if (seq !== compareSeq) return;
      $('compare-status').textContent = e.message;
    }
  }

  function renderCompare() {
    const d = state.compare.data;
    destroy('compare');
    if (!d) return;
    const byHours = d.align === 'published';
    const xs = byHours ? d.hours.slice() : d.starts.map((t) => Date.parse(t) / 1000);
    const share = state.compare.show === 'share';
    const series = [{ label: byHours ? 'Hours since published' : 'Time', value: (u, v) => (v == null ? '–' : byHours ? fmtHours(v) : fmtLocal(v * 1000)) }];
    const data = [xs];
    d.stories.forEach((s, i) => {
      const color = COMPARE_COLORS[i % COMPARE_COLORS.length];
      series.push({
        label: s.id + (share ? ' criticism share' : ' % of its reactions'), stroke: color, width: 2, spanGaps: false,
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: false },
        value: (u, v) => (v == null ? '–' : share ? fmtShare(v) : v.toFixed(1) + '%'),
      });
      data.push(withLast(share ? s.criticism_share : s.total_pct));
      if (share && s.criticism_share_adj) {
        series.push({
          label: s.id + ' corrected', stroke: color, width: 1.5, dash: [6, 4], spanGaps: false,
          paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }, value: (u, v) => fmtShare(v),
        });
        data.push(withLast(s.criticism_share_adj));
      }
    });
    const u = new uPlot({
      width: chartWidth(),
      height: 260,
      tzDate: byHours ? undefined : tzDate,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: !byHours }, y: share ? { range: [0, 1] } : { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { label: byHours ? 'hours since each story was published' : 'Time (' + d.tz + ')' },
        share ? { label: 'criticism share', values: (u, ticks) => ticks.map((v) => Math.round(v * 100) + '%') }
          : { label: '% of the story\'s reactions' },
      ],
      series,
    }, data, $('compare-chart'));
    charts.compare = u;
    const corrected = d.stories.filter((s) => s.criticism_share_adj).map((s) => s.id);
    $('compare-note').textContent = 'Bucket ' + d.interval + (d.interval_auto ? ' (auto)' : '') + '. ' +
      (byHours ? 'Bucket k of every story starts k × ' + d.interval + ' after that story\'s published moment. '
        : 'Every story has the same buckets (' + d.tz + '). ') +
      d.stories.map((s) => s.id + ': n = ' + s.totals.total).join(' · ') + '. ' +
      (share ? (corrected.length ? 'Dashed: shares corrected for the classifier\'s measured errors (' + corrected.join(', ') + ').'
        : 'No story has a validated correction: raw shares only.')
        : 'Each story\'s buckets sum to 100 %.');
  }

  function fmtHours(h) {
    return (h > 0 ? '+' : '') + (Math.round(h * 100) / 100) + ' h';
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
    writeURL();
    loadDrill();
  }

  // openThread lists the reactions of one thread over the chart's range.
  function openThread(root) {
    const s = state.series;
    state.drill = { from: s ? s.from : '', to: s ? s.to : '', thread: root, pages: [''], page: 0 };
    writeURL();
    loadDrill();
    $('drill').scrollIntoView({ block: 'nearest' });
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
    $('drill-range').textContent = (d.thread ? 'Reactions of the ' + platformShort(d.thread) + ' thread ' + d.thread + ', posted' : 'Reactions posted') +
      ' from ' + fmtLocal(d.from) + ' to ' + fmtLocal(d.to) + ' (' + state.tz + ')';
    if (stances.length === 0) {
      clear(list);
      $('page-info').textContent = 'Choose at least one stance.';
      return;
    }
    try {
      const res = await api('reactions', {
        story: state.story, from: d.from, to: d.to, stance: stances.length === 3 ? '' : stances.join(','),
        platform: $('drill-platform').value, thread: d.thread || '', limit: PAGE, cursor: d.pages[d.page],
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
    meta.appendChild(document.createTextNode(' · score ' + Number(r.stance_score).toFixed(2) + ' · ♥ ' + r.likes + ' · '));
    if (r.edited) {
      const tag = el('span', 'edited', 'edited');
      tag.title = 'Its text changed between crawls: every observed state is in the history export';
      meta.appendChild(tag);
      meta.appendChild(document.createTextNode(' · '));
    }
    if (r.deleted) {
      const h = r.deleted_after_hours;
      const tag = el('span', 'deleted', h === null || h === undefined ? 'deleted' : 'deleted after ' + fmtAfter(h));
      tag.title = 'Deleted or removed on the platform: first seen deleted then (it was deleted before); its earlier states are in the history export';
      meta.appendChild(tag);
      meta.appendChild(document.createTextNode(' · '));
    }
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

  // fmtAfter writes a number of hours for "deleted after …".
  function fmtAfter(h) {
    if (h < 1) return Math.max(1, Math.round(h * 60)) + ' min';
    if (h < 48) return (Math.round(h * 10) / 10) + ' hours';
    return (Math.round(h / 24 * 10) / 10) + ' days';
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
    $('x-series-deleted').href = href('export', { what: 'series', format: 'csv', deleted: 'true' });
    const hst = { what: 'history', interval: '', include_roots: '' };
    $('x-history-csv').href = href('export', Object.assign({ format: 'csv' }, hst));
    $('x-history-content').href = href('export', Object.assign({ format: 'csv', changes: 'content' }, hst));
    $('x-history-parquet').href = href('export', Object.assign({ format: 'parquet' }, hst));
    $('x-history-meta').href = href('export', Object.assign({ format: 'csv', meta: 'true' }, hst));
    const n = { what: 'network', interval: '', tz: '', include_roots: '' };
    $('x-network-graphml').href = href('export', Object.assign({ format: 'graphml' }, n));
    $('x-network-gexf').href = href('export', Object.assign({ format: 'gexf' }, n));
    $('x-network-edges').href = href('export', Object.assign({ format: 'csv' }, n));
    $('x-network-nodes').href = href('export', Object.assign({ format: 'csv', part: 'nodes' }, n));
    $('x-network-meta').href = href('export', Object.assign({ format: 'graphml', meta: 'true' }, n));
    $('x-figure-svg').href = href('figure.svg', { mode: state.mode });
    $('x-figure-png').href = href('figure.png', { mode: state.mode });
  }

  // ---- views ---------------------------------------------------------------

  function bindViews() {
    for (const b of document.querySelectorAll('.view-tab')) {
      b.addEventListener('click', () => setView(b.dataset.view, true));
    }
  }

  // setView shows one view, marks its tab and loads what it needs.
  function setView(v, focus) {
    state.view = VIEWS.includes(v) ? v : 'chart';
    document.body.dataset.view = state.view;
    for (const name of VIEWS) $('view-' + name).hidden = name !== state.view;
    for (const b of document.querySelectorAll('.view-tab')) {
      if (b.dataset.view === state.view) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    $('coder-bar').hidden = state.view === 'chart';
    writeURL();
    if (!state.story) return;
    if (state.view === 'chart') {
      render(); // sized for the now visible chart
      if (state.reportStale) loadReport();
    } else if (state.view === 'code') {
      loadCodeView(focus);
    } else {
      loadDisputes();
    }
  }

  // storyChanged forgets what belongs to the previous story.
  function storyChanged() {
    state.report = null;
    state.reportStale = true;
    state.sample = '';
    coding.view = null;
    coding.codebook = null;
    coding.undo = [];
    coding.disputes = null;
    coding.revealed = new Set();
    coding.revealAll = false;
    if (state.view === 'chart') loadReport();
    else setView(state.view);
  }

  // ---- the validation report ------------------------------------------------

  let reportSeq = 0;
  async function loadReport() {
    if (!state.story) return;
    const seq = ++reportSeq;
    try {
      const r = await api('coding/report', { story: state.story });
      if (seq !== reportSeq) return;
      state.report = r;
      state.reportStale = false;
    } catch (e) {
      if (seq !== reportSeq) return;
      state.report = null;
      $('report-empty').textContent = 'The validation report could not be loaded: ' + e.message;
    }
    renderReport();
    renderModelLine();
    renderShareLegend();
    window.reactionsDashboard.reports++;
  }

  function fmtNum(v, digits) {
    return isNum(v) ? v.toFixed(digits === undefined ? 2 : digits) : '–';
  }

  // fmtCI formats a [lo, hi] interval with f, '' when there is none.
  function fmtCI(ci, f) {
    return Array.isArray(ci) && isNum(ci[0]) && isNum(ci[1]) ? f(ci[0]) + '–' + f(ci[1]) : '';
  }

  function withCI(v, ci, f) {
    const i = fmtCI(ci, f);
    return f(v) + (i ? ' (95% CI ' + i + ')' : '');
  }

  function pct0(v) {
    return isNum(v) ? Math.round(100 * v) + '%' : '–';
  }

  function num2(v) {
    return fmtNum(v, 2);
  }

  function addFigure(dl, term, value) {
    dl.appendChild(el('dt', null, term));
    dl.appendChild(el('dd', null, value));
  }

  function cells(tr, values, cls) {
    for (const v of values) tr.appendChild(el('td', cls, v));
  }

  function renderReport() {
    const r = state.report;
    updateBadge();
    const body = $('report-body');
    const empty = $('report-empty');
    if (!r) {
      body.hidden = true;
      empty.hidden = false;
      return;
    }
    if (!(r.n_coded > 0)) {
      body.hidden = true;
      empty.hidden = false;
      empty.textContent = 'No reaction of this story is hand-coded yet, so nothing says how often the classifier is right here. ' +
        'Draw a sample (reactions code sample --story ' + state.story + ' --n 200 --out sample.csv) and code it in the Code view, ' +
        'or import codes made elsewhere (reactions code import). This panel then shows the coders\' agreement, the classifier\'s ' +
        'accuracy on this story, and corrected shares with their intervals.';
      return;
    }
    empty.hidden = true;
    body.hidden = false;
    const waiting = (r.disputed || []).length;
    $('report-summary').textContent = r.n_coded + ' reactions hand-coded · ' + r.n_multi + ' of them by two or more coders · ' +
      'coders: ' + (r.coders.length ? r.coders.join(', ') : '–') + ' · ' + r.n_final + ' final codes' +
      (waiting ? ' · ' + waiting + ' disagreement' + (waiting === 1 ? '' : 's') + ' waiting for adjudication' : '');

    const ag = $('report-agreement');
    clear(ag);
    addFigure(ag, 'Krippendorff\'s α (nominal)', r.alpha === null ? '– (needs items coded by two or more coders)' : withCI(r.alpha, r.alpha_ci, num2));
    addFigure(ag, 'Items with ≥ 2 coders', r.n_multi + (r.n_pairable !== r.n_multi ? ' (' + r.n_pairable + ' with two or more stance codes)' : ''));
    addFigure(ag, 'Percent agreement', pct0(r.percent_agreement));
    const kb = $('kappa-rows');
    clear(kb);
    for (const k of r.kappa_pairs || []) {
      const tr = el('tr');
      tr.appendChild(el('td', null, k.a + ' · ' + k.b));
      cells(tr, [k.n, k.kappa === null ? '–' : num2(k.kappa), pct0(k.agreement)], 'num');
      kb.appendChild(tr);
    }
    if (!kb.firstChild) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No two coders coded the same items yet.');
      td.colSpan = 4;
      tr.appendChild(td);
      kb.appendChild(tr);
    }

    const c = r.classifier;
    const figs = $('report-classifier-figures');
    clear(figs);
    clear($('class-rows'));
    clear($('confusion-rows'));
    const elsewhere = trainedElsewhere(r);
    if (!c && elsewhere) {
      $('report-classifier').textContent = 'Not validated: version ' + elsewhere.version + ' was trained on ' + elsewhere.retrained.codes +
        ' of this story\'s hand-codes elsewhere, and no out-of-fold predictions of it are stored here (see the notes).';
    } else if (!c) {
      $('report-classifier').textContent = 'Not validated yet: the classifier is compared with the final codes of a stratified or ' +
        'random sample (an uncertain sample trains, but cannot measure error rates).';
    } else {
      $('report-classifier').textContent = 'Version ' + c.version + modelOrigin(r, c.version) + ', against ' + c.n + ' final codes' +
        (c.n_unclear ? ' (' + c.n_unclear + ' unclear left out)' : '') + crossFitted(c) +
        '; figures are estimates for the whole story (design-weighted).';
      addFigure(figs, 'Accuracy', withCI(c.accuracy, c.accuracy_ci, pct0));
      addFigure(figs, 'Macro-F1', withCI(c.macro_f1, c.macro_f1_ci, num2));
      for (const m of c.per_class || []) {
        const tr = el('tr');
        tr.appendChild(el('th', null, m.stance));
        tr.firstChild.scope = 'row';
        const short = (v, ci) => num2(v) + (fmtCI(ci, num2) ? ' (' + fmtCI(ci, num2) + ')' : '');
        cells(tr, [m.n, short(m.precision, m.precision_ci), short(m.recall, m.recall_ci), short(m.f1, m.f1_ci)], 'num');
        $('class-rows').appendChild(tr);
      }
      const conf = c.confusion || {};
      (conf.counts || []).forEach((row, i) => {
        const tr = el('tr');
        const th = el('th', null, STANCES[i]);
        th.scope = 'row';
        tr.appendChild(th);
        row.forEach((n, j) => {
          const w = conf.weighted && conf.weighted[i] ? conf.weighted[i][j] : null;
          tr.appendChild(el('td', i === j ? 'num diag' : 'num', n + (isNum(w) ? ' (≈' + Math.round(w) + ')' : '')));
        });
        $('confusion-rows').appendChild(tr);
      });
    }

    const eb = $('estimate-rows');
    clear(eb);
    const est = r.estimate;
    if (!est) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No corrected estimate yet: every stance needs at least 10 final codes.');
      td.colSpan = 4;
      tr.appendChild(td);
      eb.appendChild(tr);
    } else {
      const raw = est.raw || {};
      const tot = (raw.support || 0) + (raw.criticism || 0) + (raw.neutral || 0);
      for (const st of STANCES) {
        const p = est[st] || {};
        const tr = el('tr');
        const th = el('th', null, st);
        th.scope = 'row';
        tr.appendChild(th);
        cells(tr, [tot ? fmtShare(raw[st] / tot) : '–', fmtShare(p.value), fmtCI([p.lo, p.hi], fmtShare)], 'num');
        eb.appendChild(tr);
      }
      const tr = el('tr', 'key');
      const th = el('th', null, 'criticism ÷ (support + criticism)');
      th.scope = 'row';
      tr.appendChild(th);
      cells(tr, [fmtShare(raw.criticism_share), fmtShare(est.criticism_share_adj),
        fmtCI([est.criticism_share_lo, est.criticism_share_hi], fmtShare)], 'num');
      eb.appendChild(tr);
    }
    $('report-method').textContent = r.method ? 'Correction: ' + r.method + '.' : '';
    const notes = $('report-notes');
    clear(notes);
    for (const n of r.notes || []) notes.appendChild(el('li', null, n));
    $('methods').textContent = r.methods || '';
    $('copy-status').textContent = '';
  }

  // copyMethods copies the methods paragraph; where the clipboard API is
  // not allowed (plain http off loopback) it selects the text instead.
  async function copyMethods() {
    const text = $('methods').textContent;
    try {
      await navigator.clipboard.writeText(text);
      $('copy-status').textContent = 'Copied.';
      return;
    } catch (e) { /* fall back to a selection */ }
    const range = document.createRange();
    range.selectNodeContents($('methods'));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    $('copy-status').textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.';
  }

  // renderModelLine says, next to the chart, which model labelled the story
  // and how it fared against the story's own hand-codes.
  function renderModelLine() {
    const p = $('model-line');
    const r = state.report;
    if (!r) {
      p.hidden = true;
      return;
    }
    const versions = Object.entries(r.classifier_versions || {}).sort((a, b) => b[1] - a[1]);
    const c = r.classifier;
    let text = versions.length === 0 ? 'No reaction is labelled yet.'
      : 'Labelled by the classifier ' + (versions.length === 1 ? versions[0][0] + modelOrigin(r, versions[0][0])
        : versions.map((v) => v[0] + modelOrigin(r, v[0]) + ' (' + v[1] + ' reactions)').join(', ') + ' (the story is partly relabelled)') + '. ';
    if (c) {
      text += 'Validated on this story against ' + c.n + ' hand-coded reactions' + crossFitted(c) + ': accuracy ' + withCI(c.accuracy, c.accuracy_ci, pct0) +
        ', macro-F1 ' + withCI(c.macro_f1, c.macro_f1_ci, num2) +
        (isNum(r.alpha) ? '; coders\' agreement α ' + withCI(r.alpha, r.alpha_ci, num2) : '') + '.';
      if (versions.length && !versions.some((v) => v[0] === c.version)) {
        text += ' ⚠ These figures are for ' + c.version + ', which no longer labels the story: code a new sample.';
      }
      const est = r.estimate;
      if (est && isNum(est.criticism_share_adj)) {
        text += ' Whole story: criticism share ' + fmtShare(est.criticism_share_adj) + ' corrected (95% interval ' +
          fmtCI([est.criticism_share_lo, est.criticism_share_hi], fmtShare) + '), ' + fmtShare(est.raw && est.raw.criticism_share) + ' raw.';
      }
      p.className = 'model-line';
    } else if (trainedElsewhere(r)) {
      text += '⚠ Not validated: a model trained on this story\'s codes elsewhere labels it, and no out-of-fold predictions of it are ' +
        'stored here; its own labels of its training codes would overstate its accuracy. Retrain here (reactions classify train --story ' +
        state.story + ') and reclassify with that model.';
      p.className = 'model-line unvalidated';
    } else {
      text += '⚠ Not validated on this story: nothing measures how often it is right here. Hand-code a sample (Code view) to measure ' +
        'its errors and correct the shares.';
      p.className = 'model-line unvalidated';
    }
    p.textContent = text;
    p.hidden = false;
  }

  // modelOrigin says where a classifier version comes from: the built-in
  // model, or one retrained on this story's codes (with its k); nothing for
  // another model.
  function modelOrigin(r, version) {
    const m = (r.models || []).find((x) => x.version === version);
    if (!m || m.origin === 'other') return '';
    if (m.origin === 'builtin') return ' (the built-in model)';
    const t = m.retrained;
    return ' (retrained on ' + t.codes + ' of this story\'s hand-codes' + (t.builtin ? ' and the built-in data' : '') +
      (t.out_of_fold > 0 ? ', ' + t.folds + '-fold cross-fitted)' : '; trained elsewhere, without out-of-fold predictions here)');
  }

  // trainedElsewhere is the version labelling the story that was trained
  // on its codes but has no out-of-fold predictions stored here, which the
  // report refuses to validate; undefined when there is none.
  function trainedElsewhere(r) {
    return (r.models || []).find((m) => m.retrained && m.retrained.out_of_fold === 0 && m.reactions > 0);
  }

  // crossFitted says, for a validation of a retrained model, that its
  // training codes count through their out-of-fold predictions.
  function crossFitted(c) {
    return c.folds > 0 ? ' (cross-fitted: the ' + c.out_of_fold + ' it was trained on through their ' + c.folds +
      '-fold out-of-fold predictions)' : '';
  }

  function updateBadge() {
    const d = coding.disputes;
    const n = d ? d.pending : state.report ? (state.report.disputed || []).length : 0;
    const b = $('pending-badge');
    b.hidden = !n;
    b.textContent = n ? String(n) : '';
    b.title = n ? n + ' disagreement(s) waiting for a final code' : '';
    b.setAttribute('aria-label', n + ' waiting');
  }

  // ---- hand-coding: the coder ------------------------------------------------

  const NAME_KEY = 'reactions.coder';
  const CODES = ['support', 'criticism', 'neutral', 'unclear'];
  const coding = {
    name: '',
    codebook: null,
    keys: { 1: 'support', 2: 'criticism', 3: 'neutral', 0: 'unclear' },
    samples: [],
    view: null, // GET /api/v1/coding/sample for (story, sample, name)
    pos: -1, // index into view.items of the item shown; -1: all done
    undo: [], // {id, prev: {code, at}} of this session, newest last
    pending: 0, // codes being saved
    queue: Promise.resolve(), // saves run one after the other, in order
    disputes: null,
    todo: new Set(), // sample + '\n' + id of items the coder still has to code
    revealed: new Set(), // ids whose codes the coder chose to see anyway
    revealAll: false, // the coder only adjudicates: show every item's codes
  };

  function codingState() {
    const v = coding.view;
    const it = v && coding.pos >= 0 ? v.items[coding.pos] : null;
    const assigned = v ? v.items.filter((i) => i.assigned) : [];
    return {
      name: coding.name, sample: v ? v.sample : '', id: it ? it.id : null, position: it ? it.position : null,
      assigned: assigned.length, done: assigned.filter((i) => i.code != null).length, pending: coding.pending,
    };
  }

  function storedName() {
    try { return localStorage.getItem(NAME_KEY) || ''; } catch (e) { return ''; }
  }

  function storeName(n) {
    try { localStorage.setItem(NAME_KEY, n); } catch (e) { /* storage off: remembered for this page only */ }
  }

  function renderCoderBar() {
    const named = coding.name !== '';
    $('coder-form').hidden = named;
    $('coder-who').hidden = !named;
    $('coder-who-name').textContent = coding.name;
  }

  function bindCoding() {
    $('coder-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const n = $('coder-name').value.trim();
      if (!n) {
        setStatus('Type your name: it is stored with your codes.');
        $('coder-name').focus();
        return;
      }
      setStatus('', true);
      if (n !== coding.name) {
        coding.name = n;
        storeName(n);
        coding.view = null;
        coding.undo = [];
        coding.revealed = new Set();
        coding.revealAll = false;
      }
      renderCoderBar();
      setView(state.view, true);
    });
    $('coder-change').addEventListener('click', () => {
      $('coder-who').hidden = true;
      $('coder-form').hidden = false;
      $('coder-name').value = coding.name;
      $('coder-name').focus();
      $('coder-name').select();
    });
    $('sample').addEventListener('change', () => {
      state.sample = $('sample').value;
      coding.view = null;
      coding.undo = [];
      writeURL();
      loadCodeView(true);
    });
    for (const b of document.querySelectorAll('.code-btn')) b.addEventListener('click', () => giveCode(b.dataset.code));
    $('code-undo').addEventListener('click', undo);
    $('code-prev').addEventListener('click', () => move(-1));
    $('code-next').addEventListener('click', () => move(+1));
    $('copy-methods').addEventListener('click', copyMethods);
    $('adj-reveal-all').addEventListener('click', () => {
      coding.revealAll = true;
      renderDisputes();
      $('adj-summary').tabIndex = -1;
      $('adj-summary').focus();
    });
    document.addEventListener('keydown', onKey);
  }

  // onKey: 1/2/3/0 code, Backspace or U undoes, arrows move; never while
  // typing in a field or with a modifier held.
  function onKey(e) {
    if (state.view !== 'code' || !coding.view || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const k = e.key;
    if (Object.prototype.hasOwnProperty.call(coding.keys, k)) {
      e.preventDefault();
      if (!e.repeat) giveCode(coding.keys[k]);
    } else if (k === 'Backspace' || k === 'u' || k === 'U') {
      e.preventDefault();
      if (!e.repeat) undo();
    } else if (k === 'ArrowLeft' || k === 'ArrowRight') {
      e.preventDefault();
      move(k === 'ArrowLeft' ? -1 : +1);
    }
  }

  let codeSeq = 0;
  // loadCodeView loads the codebook, the samples and the coder's view of
  // the chosen sample from the server, and resumes at its first item the
  // coder has not coded.
  async function loadCodeView(focus) {
    renderCoderBar();
    if (!state.story) return;
    const seq = ++codeSeq;
    try {
      if (!coding.codebook || coding.codebook.story !== state.story) {
        coding.codebook = await api('codebook', { story: state.story });
        if (coding.codebook.keys) coding.keys = coding.codebook.keys;
      }
      const res = await api('samples', { story: state.story });
      if (seq !== codeSeq) return;
      renderCodebook();
      coding.samples = res.samples || [];
      fillSamples();
      if (!coding.name) {
        $('code-layout').hidden = true;
        if (focus) $('coder-name').focus();
        return;
      }
      if (!state.sample) {
        $('code-layout').hidden = true;
        return;
      }
      await coding.queue; // the server state includes every code given
      const v = await api('coding/sample', { story: state.story, sample: state.sample, coder: coding.name });
      if (seq !== codeSeq) return;
      coding.view = v;
      coding.pos = v.next === null ? -1 : v.items.findIndex((it) => it.position === v.next);
      $('code-layout').hidden = false;
      renderCodeItem();
      if (focus) focusItem();
      window.reactionsDashboard.codingLoads++;
    } catch (e) {
      if (seq === codeSeq) setStatus(e.message);
    }
  }

  function fillSamples() {
    const sel = $('sample');
    clear(sel);
    const ss = coding.samples;
    for (const s of ss) {
      const o = el('option', null, s.name + ' (' + s.strategy + ', ' + s.n + ' items)');
      o.value = s.name;
      sel.appendChild(o);
    }
    if (!ss.some((s) => s.name === state.sample)) state.sample = ss.length ? ss[0].name : '';
    sel.value = state.sample;
    sel.disabled = ss.length === 0;
    writeURL();
    const info = $('sample-info');
    const s = ss.find((x) => x.name === state.sample);
    if (!s) {
      info.textContent = 'This story has no sample to code yet: draw one with reactions code sample --story ' + state.story +
        ' --n 200 --out sample.csv (stratified by day and predicted stance; the classifier\'s labels stay out of your view).';
      return;
    }
    info.textContent = s.strategy + ' sample, seed ' + s.seed + ', ' + s.n + ' items, drawn ' + fmtLocal(s.created_at) + ' · ' +
      Math.round(100 * s.overlap) + '% of it goes to every coder (reliability) · ' + s.coded + ' items coded so far' +
      (s.estimable ? '' : ' · for training only: it does not measure the classifier\'s errors');
  }

  function renderCodebook() {
    const cb = coding.codebook;
    if (!cb) return;
    $('codebook-default').textContent = cb.default ? 'The story defines no codebook: this is the default labelling rule.' : '';
    $('codebook-instructions').textContent = cb.codebook.instructions || '';
    const box = $('codebook-labels');
    clear(box);
    const keyOf = {};
    for (const [k, v] of Object.entries(coding.keys)) keyOf[v] = k;
    for (const c of CODES) {
      const def = cb.codebook[c];
      if (!def) continue;
      const sec = el('section', 'cb-label ' + c);
      const h = el('h3');
      if (keyOf[c] !== undefined) {
        h.appendChild(el('kbd', null, keyOf[c]));
        h.appendChild(document.createTextNode(' '));
      }
      h.appendChild(document.createTextNode(c));
      sec.appendChild(h);
      sec.appendChild(el('p', null, def.definition || ''));
      if (def.examples && def.examples.length) {
        const ul = el('ul', 'examples');
        ul.setAttribute('aria-label', 'Examples of ' + c);
        for (const x of def.examples) ul.appendChild(el('li', null, x));
        sec.appendChild(ul);
      }
      box.appendChild(sec);
    }
  }

  function assignedIdx() {
    const out = [];
    coding.view.items.forEach((it, i) => { if (it.assigned) out.push(i); });
    return out;
  }

  function renderCodeItem() {
    const v = coding.view;
    if (!v || state.view !== 'code') return;
    const idx = assignedIdx();
    const done = idx.filter((i) => v.items[i].code != null).length;
    const bar = $('code-progress');
    bar.max = Math.max(1, idx.length);
    bar.value = done;
    $('code-progress-label').textContent = done + ' of ' + idx.length + ' coded' +
      (idx.length ? ' (' + Math.floor(100 * done / idx.length) + '%)' : '') + (coding.pending ? ' · saving…' : '');
    const it = coding.pos >= 0 ? v.items[coding.pos] : null;
    $('code-item').hidden = !it;
    $('code-done').hidden = !!it;
    for (const b of document.querySelectorAll('.code-btn')) {
      b.disabled = !it;
      b.setAttribute('aria-pressed', it && it.code === b.dataset.code ? 'true' : 'false');
    }
    $('code-undo').disabled = coding.undo.length === 0 && !v.items.some((i) => i.code != null);
    const k = it ? idx.indexOf(coding.pos) : idx.length;
    $('code-prev').disabled = k <= 0;
    $('code-next').disabled = !it || k >= idx.length - 1;
    if (!it) {
      $('code-done').textContent = idx.length === 0
        ? 'Nothing in this sample is yours to code: its items are coded by others, and you have no share of it.'
        : 'All ' + idx.length + ' of your items in this sample are coded. Thank you. Review them with ← Previous, or pick another sample.';
      return;
    }
    $('code-item-title').textContent = 'Item ' + (k + 1) + ' of ' + idx.length;
    const meta = $('code-meta');
    clear(meta);
    itemMeta(meta, '', it);
    if (it.overlap) meta.appendChild(document.createTextNode(' · every coder codes this one'));
    const text = $('code-text');
    text.className = 'text' + (it.missing || !it.text ? ' missing' : '');
    text.textContent = it.missing ? '(This reaction is no longer stored. Code it 0, unclear.)' : (it.text || '(empty text)');
    $('code-mine').textContent = it.code == null ? 'Not coded yet.' : 'Your code: ' + it.code + (it.coded_at ? '' : ' (saving…)');
  }

  // itemMeta appends a coded item's platform, time and link to node,
  // after prefix: what a coder may see of it (no label, no score).
  function itemMeta(node, prefix, it) {
    node.appendChild(document.createTextNode(prefix + platformLabel(it.platform) + ' · '));
    if (it.created_at) {
      const time = el('time', null, fmtLocal(it.created_at) + ' ' + state.tz);
      time.dateTime = it.created_at;
      node.appendChild(time);
      node.appendChild(document.createTextNode(' · '));
    }
    node.appendChild(it.url ? safeLink(it.url, 'original') : el('span', 'nolink', '(no link)'));
    // The author's content warning is part of what they said: coders see
    // it as readers did, before the text.
    if (it.content_warning) node.appendChild(el('p', 'cw', 'CW: ' + it.content_warning));
  }

  function focusItem() {
    const target = coding.pos >= 0 ? $('code-item') : $('code-done');
    target.tabIndex = -1;
    target.focus();
  }

  function announce(msg) {
    $('code-announce').textContent = msg;
  }

  function rankOf(i) {
    return assignedIdx().indexOf(i) + 1;
  }

  // move shows the coder's previous or next item (dir -1 or +1).
  function move(dir) {
    const v = coding.view;
    if (!v) return;
    const idx = assignedIdx();
    const k = coding.pos < 0 ? idx.length : idx.indexOf(coding.pos);
    const next = k + dir;
    if (next < 0 || next >= idx.length) return;
    coding.pos = idx[next];
    renderCodeItem();
    focusItem();
  }

  // advance goes to the coder's next uncoded item after the one shown,
  // wrapping around; -1 when every one is coded.
  function advance() {
    const v = coding.view;
    const idx = assignedIdx();
    const k = idx.indexOf(coding.pos);
    const order = idx.slice(k + 1).concat(idx.slice(0, k + 1));
    const next = order.find((i) => v.items[i].code == null);
    coding.pos = next === undefined ? -1 : next;
  }

  function giveCode(c) {
    const v = coding.view;
    const it = v && coding.pos >= 0 ? v.items[coding.pos] : null;
    if (!it || !CODES.includes(c)) return;
    const k = rankOf(coding.pos);
    const prev = { code: it.code, at: it.coded_at };
    it.code = c;
    it.coded_at = null;
    coding.undo.push({ id: it.id, prev });
    save(it, c, prev);
    advance();
    renderCodeItem();
    focusItem();
    announce('Item ' + k + ' coded ' + c + '. ' + (coding.pos < 0 ? 'All your items are coded.' : 'Now item ' + rankOf(coding.pos) + '.'));
  }

  // undo takes back the coder's last code: this session's, else the latest
  // the server holds for them in this sample. The item is shown again.
  function undo() {
    const v = coding.view;
    if (!v) return;
    let u = coding.undo.pop();
    if (!u) {
      let last = null;
      const at = (i) => (i.coded_at ? Date.parse(i.coded_at) : Infinity);
      for (const i of v.items) if (i.code != null && (!last || at(i) > at(last))) last = i;
      if (!last) {
        announce('Nothing to undo.');
        return;
      }
      u = { id: last.id, prev: { code: null, at: null } };
    }
    const i = v.items.findIndex((x) => x.id === u.id);
    const it = v.items[i];
    const had = { code: it.code, at: it.coded_at };
    it.code = u.prev.code;
    it.coded_at = u.prev.at;
    save(it, u.prev.code, had);
    coding.pos = i;
    renderCodeItem();
    focusItem();
    announce('Undone: item ' + rankOf(i) + ' is ' + (it.code == null ? 'not coded.' : 'coded ' + it.code + ' again.'));
  }

  // save records code c of item it (null takes the coder's code back). The
  // item already shows c; a failed save restores prev and shows the item.
  function save(it, c, prev) {
    const v = coding.view;
    const body = { story: v.story, codes: [{ sample: v.sample, id: it.id, coder: v.coder, code: c == null ? 'withdrawn' : c }] };
    coding.pending++;
    coding.queue = coding.queue
      .then(() => post('codings', body))
      .then((res) => {
        const stored = res && res.codes && res.codes[0];
        if (stored && it.code === c && c != null) it.coded_at = stored.coded_at;
        state.reportStale = true;
        coding.disputes = null;
      }, (err) => {
        if (it.code === c) {
          it.code = prev.code;
          it.coded_at = prev.at;
        }
        setStatus('A code was not saved (' + err.message + '): the item is shown again, code it once more.');
        if (coding.view === v) coding.pos = v.items.indexOf(it);
      })
      .finally(() => {
        coding.pending--;
        if (coding.view === v) renderCodeItem();
      });
  }

  // ---- adjudication ------------------------------------------------------------

  let adjSeq = 0;
  // loadDisputes lists the items whose coders disagree. For the items the
  // coder still has to code themselves, the others' codes stay hidden until
  // asked for, so that seeing them does not sway the coder's own code.
  async function loadDisputes() {
    renderCoderBar();
    if (!state.story) return;
    const seq = ++adjSeq;
    try {
      await coding.queue;
      const d = await api('disputes', { story: state.story });
      const todo = new Set();
      if (coding.name) {
        const names = new Set();
        for (const x of d.disputes) if (x.sample && !x.codes.some((c) => c.coder === coding.name)) names.add(x.sample);
        const views = await Promise.all(Array.from(names).map((s) =>
          api('coding/sample', { story: state.story, sample: s, coder: coding.name }).catch(() => null)));
        for (const v of views) {
          if (!v) continue;
          for (const it of v.items) if (it.assigned && it.code == null) todo.add(v.sample + '\n' + it.id);
        }
      }
      if (seq !== adjSeq) return;
      coding.disputes = d;
      coding.todo = todo;
      renderDisputes();
      window.reactionsDashboard.disputeLoads++;
    } catch (e) {
      if (seq === adjSeq) setStatus(e.message);
    }
  }

  function renderDisputes() {
    const d = coding.disputes;
    if (!d || state.view !== 'adjudicate') return;
    updateBadge();
    const list = $('disputes');
    clear(list);
    const done = d.disputes.length - d.pending;
    $('adj-summary').textContent = d.disputes.length === 0 ? 'No disagreements: nothing to adjudicate.'
      : d.pending + ' waiting for a final code · ' + done + ' adjudicated.' +
        (coding.name ? '' : ' Type your name above: the final code is recorded under it.');
    const gated = d.disputes.filter((x) => isGated(x)).length;
    $('adj-reveal').hidden = gated === 0;
    $('adj-reveal-text').textContent = gated === 0 ? '' : gated + ' of these items are in your own share of a sample and you ' +
      'have not coded them yet: their codes are hidden, so that they do not sway yours. Code them first (Code view), or ';
    d.disputes.forEach((x, i) => list.appendChild(disputeItem(x, i)));
  }

  function disputeItem(x, i) {
    const li = el('li', 'dispute ' + (x.adjudication ? 'settled' : 'pending'));
    const title = el('h3', null, (x.adjudication ? 'Adjudicated' : 'Waiting') + ' · disagreement ' + (i + 1));
    title.id = 'dispute-' + i;
    title.tabIndex = -1;
    li.appendChild(title);
    li.setAttribute('aria-labelledby', title.id);
    const meta = el('p', 'meta');
    itemMeta(meta, x.sample ? 'sample ' + x.sample + ' · ' : '', x);
    li.appendChild(meta);
    li.appendChild(el('p', 'text', x.text || '(not stored any more)'));
    if (isGated(x)) {
      const p = el('p', 'gate', 'You have not coded this item yet, and it is in your share of sample ' + x.sample +
        '. Code it first (Code view), so that the others\' codes do not sway yours. ');
      const b = el('button', null, 'Show the codes anyway (I only adjudicate)');
      b.type = 'button';
      b.addEventListener('click', () => {
        coding.revealed.add(x.id);
        renderDisputes();
        const h = $('dispute-' + i);
        if (h) h.focus();
      });
      p.appendChild(b);
      li.appendChild(p);
      return li;
    }
    const codes = el('ul', 'codes');
    codes.setAttribute('aria-label', 'The coders\' codes');
    for (const c of x.codes) {
      const item = el('li', 'chip ' + (CODES.includes(c.code) ? c.code : ''));
      item.appendChild(el('span', 'who', c.coder + ': '));
      item.appendChild(el('strong', null, c.code));
      codes.appendChild(item);
    }
    li.appendChild(codes);
    const group = el('div', 'adj-buttons');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Final code for disagreement ' + (i + 1));
    group.appendChild(el('span', 'muted', 'Final code: '));
    for (const c of CODES) {
      const b = el('button', 'code-btn ' + c, c);
      b.type = 'button';
      b.dataset.code = c;
      b.setAttribute('aria-pressed', x.adjudication && x.adjudication.code === c ? 'true' : 'false');
      b.addEventListener('click', () => adjudicate(x, c, i));
      group.appendChild(b);
    }
    li.appendChild(group);
    li.appendChild(el('p', 'final', x.adjudication
      ? 'Final code: ' + x.adjudication.code + ', by ' + x.adjudication.coder + ' on ' + fmtLocal(x.adjudication.coded_at) + ' ' + state.tz + '.'
      : 'No final code yet.'));
    return li;
  }

  // isGated reports whether dispute x is one the coder still has to code
  // and whose codes they have not asked to see.
  function isGated(x) {
    return !coding.revealAll && coding.todo.has(x.sample + '\n' + x.id) && !coding.revealed.has(x.id);
  }

  async function adjudicate(x, c, i) {
    if (!coding.name) {
      setStatus('Type your name first: the final code is recorded under it.');
      $('coder-name').focus();
      return;
    }
    const code = { id: x.id, coder: coding.name, code: c, adjudication: true };
    if (x.sample) code.sample = x.sample;
    for (const b of document.querySelectorAll('.adj-buttons button')) b.disabled = true;
    try {
      await post('codings', { story: state.story, codes: [code] });
      setStatus('', true);
      state.reportStale = true;
      await loadDisputes();
      $('adj-summary').textContent = 'Recorded: disagreement ' + (i + 1) + ' is ' + c + '. ' + $('adj-summary').textContent;
      $('adj-summary').tabIndex = -1;
      $('adj-summary').focus();
    } catch (e) {
      setStatus(e.message);
      for (const b of document.querySelectorAll('.adj-buttons button')) b.disabled = false;
    }
  }

  // ---- start ---------------------------------------------------------------

  async function start() {
    readURL();
    fillTimezones();
    bindControls();
    bindViews();
    bindCoding();
    coding.name = storedName();
    renderCoderBar();
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
    fillComparePicks();
    if (state.compare.stories.length >= 2) loadCompare();
    if (!state.story && state.stories.length) state.story = state.stories[0].id;
    if (!state.story) {
      setStatus('No story is stored yet: crawl one (reactions crawl STORY.yaml) or load the demo (reactions demo).');
      return;
    }
    syncControls();
    $('footer').textContent = 'reactions dashboard';
    setView(state.view, state.view !== 'chart'); // the Code view starts with the coder's name or item focused
    if (state.view !== 'chart') loadReport();
    await load();
  }

  document.addEventListener('DOMContentLoaded', start);
}());
