/*
 * Vigil console: a small single-page client of the Vigil API on the same
 * origin.  No framework, no build step.  Every value from the API reaches
 * the page as text (text nodes, through h() below), never parsed as HTML:
 * the CSP's Trusted Types would refuse that anyway.
 *
 * The token lives in this closure only (never a cookie, never storage): it
 * goes with the tab, a reload asks for the password again.  Polling stays
 * well inside the API's per-user limit (300 a minute by default): one view
 * polls at a time, at most one request every 1.5 s (a job's page), and none
 * while the tab is hidden.
 */
'use strict';

(function () {
  const STATES = ['pending', 'delivered', 'completed', 'failed', 'expired', 'cancelled'];
  const STATUSES = ['active', 'disconnected', 'pending', 'never_connected'];
  const PAGE = 100;            // agents per page
  const JOB_POLL_MS = 1500;    // a job's page: live progress
  const LIST_POLL_MS = 3000;   // the jobs list
  const NODES_POLL_MS = 5000;  // the nodes (3 requests)
  const AGENTS_POLL_MS = 10000;

  const S = {
    token: null, user: null, pol: {}, mode: 'white', cluster: false,
    gen: 0,          // bumped on every route change: stale polls and answers are dropped
    timer: null,
    pending: new Set(),   // requests under way (a logout waits for them)
  };

  const $ = (id) => document.getElementById(id);

  /* h: an element with attributes and children; strings become text nodes. */
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    add(e, kids);
    return e;
  }

  function add(e, kids) {
    for (const k of kids) {
      if (k === null || k === undefined || k === false) continue;
      if (Array.isArray(k)) add(e, k);
      else if (k instanceof Node) e.appendChild(k);
      else e.appendChild(document.createTextNode(String(k)));
    }
  }

  /* put: el's children replaced by kids (strings as text, arrays flattened). */
  function put(el, ...kids) {
    el.replaceChildren();
    add(el, kids);
  }

  /*
   * changes: a test of whether a poll's answer differs from the last one; an
   * unchanged answer leaves the page alone (and the keyboard focus where it is).
   */
  function changes() {
    let last = null;
    return (data) => {
      const k = JSON.stringify(data);
      if (k === last) return false;
      last = k;
      return true;
    };
  }

  const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n ?? ''));
  const when = (t) => (t ? String(t).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—');
  const route = (path, params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== '' && v != null) q.set(k, v);
    const s = q.toString();
    return '#/' + path + (s ? '?' + s : '');
  };

  function status(msg, isError) {
    const el = $('status');
    el.textContent = msg || '';
    el.classList.toggle('error', !!isError);
  }

  class ApiError extends Error {
    constructor(code, msg, body) { super(msg); this.code = code; this.body = body; }
  }

  /* api: one request to the API with the token; the JSON body and the response (a promise). */
  function api(method, path, params) {
    const p = apiCall(method, path, params);
    S.pending.add(p);
    const done = () => S.pending.delete(p);
    p.then(done, done);
    return p;
  }

  async function apiCall(method, path, params) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {}))
      if (v !== '' && v !== null && v !== undefined) url.searchParams.set(k, v);
    const res = await fetch(url, {
      method, cache: 'no-store', credentials: 'omit',
      headers: { Authorization: 'Bearer ' + S.token },
    });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401 && S.token) {
      signedOut('Your session has ended: log in again.');
      throw new ApiError(401, 'session ended', body);
    }
    if (!res.ok) {
      const what = body && (body.detail || body.title) ? (body.detail || body.title) : res.statusText;
      const code = body && body.error ? ' (' + body.error + ')' : '';
      throw new ApiError(res.status, 'HTTP ' + res.status + ': ' + what + code, body);
    }
    return { body, res };
  }

  /*
   * may: whether the user's policies allow action on some resource (the UI
   * hides what they do not; the API decides item by item, and refuses the rest).
   */
  function may(action) {
    const res = S.pol[action];
    if (S.mode === 'black') {
      if (!res) return true;
      return !Object.entries(res).some(([r, eff]) => eff === 'deny' && r.endsWith(':*'));
    }
    return !!res && Object.values(res).some((eff) => eff === 'allow');
  }

  /* ---- login ---- */

  function b64utf8(s) {
    let bin = '';
    for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  async function login(ev) {
    ev.preventDefault();
    const user = $('login-user').value, pass = $('login-pass').value;
    const err = $('login-error');
    err.textContent = '';
    if (!user || !pass) {
      err.textContent = 'Enter your user and password.';
      return;
    }
    $('login-submit').disabled = true;
    try {
      const res = await fetch('/security/user/authenticate', {
        method: 'POST', cache: 'no-store', credentials: 'omit',
        headers: { Authorization: 'Basic ' + b64utf8(user + ':' + pass) },
      });
      let body = null;
      try { body = await res.json(); } catch (e) { body = null; }
      if (!res.ok || !body || !body.data || !body.data.token) {
        err.textContent = 'Login refused: ' + ((body && (body.detail || body.title)) || res.status);
        return;
      }
      S.token = body.data.token;
      S.user = user;
      $('login-pass').value = '';
      const pol = (await api('GET', '/security/users/me/policies')).body.data || {};
      S.mode = pol.rbac_mode === 'black' ? 'black' : 'white';
      delete pol.rbac_mode;
      S.pol = pol;
      // a standalone master has no /cluster/nodes (3013): ask once, not on every refresh
      S.cluster = may('cluster:status') ?
        (await api('GET', '/cluster/status')).body.data.running === 'yes' : may('cluster:read');
      signedIn();
    } catch (e) {
      err.textContent = 'Login failed: ' + e.message;
    } finally {
      $('login-submit').disabled = false;
    }
  }

  function signedIn() {
    $('login').hidden = true;
    $('nav').hidden = false;
    $('who').hidden = false;
    $('who-name').textContent = S.user + (may('agent:restart') ? '' : ' (read only)');
    $('nav-restart').hidden = !may('agent:restart');
    document.body.dataset.user = S.user;
    document.body.dataset.canRestart = may('agent:restart') ? 'yes' : 'no';
    if (!location.hash.startsWith('#/') || location.hash === '#/login') location.hash = '#/nodes';
    else render();
  }

  function signedOut(msg) {
    S.token = null; S.user = null; S.pol = {};
    S.gen++;
    clearTimeout(S.timer);
    $('view').replaceChildren();
    $('nav').hidden = true;
    $('who').hidden = true;
    $('login').hidden = false;
    delete document.body.dataset.user;
    delete document.body.dataset.canRestart;
    status(msg || '', !!msg);
    document.title = 'Log in · Vigil console';
    $('login-user').focus();
  }

  async function logout() {
    // no poll may follow the logout with the revoked token
    S.gen++;
    clearTimeout(S.timer);
    await Promise.allSettled([...S.pending]);
    try { await api('DELETE', '/security/user/authenticate'); } catch (e) { /* ends anyway */ }
    history.replaceState(null, '', '#/nodes');
    signedOut('');
  }

  /* ---- routing and polling ---- */

  function parseHash() {
    const hash = location.hash.startsWith('#/') ? location.hash.slice(2) : 'nodes';
    const [path, query] = hash.split('?', 2);
    return { parts: path.split('/').map(decodeURIComponent), q: new URLSearchParams(query || '') };
  }

  function render() {
    if (!S.token) { signedOut(''); return; }
    S.gen++;
    clearTimeout(S.timer);
    status('');
    const { parts, q } = parseHash();
    const views = { nodes: viewNodes, agents: viewAgents, agent: viewAgent, jobs: viewJobs,
      job: viewJob, restart: viewRestart };
    const fn = views[parts[0]] || viewNodes;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.view === (views[parts[0]] ? parts[0].replace(/^(agent|job)$/, '$1s') : 'nodes'))
        a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const view = $('view');
    view.replaceChildren();
    view.dataset.view = parts[0] in views ? parts[0] : 'nodes';
    fn(view, parts, q);
    const h1 = view.querySelector('h1');
    if (h1) {
      h1.tabIndex = -1;
      document.title = h1.textContent + ' · Vigil console';
      h1.focus();
    }
  }

  /*
   * poll: fn now and every ms while the view is shown; fn returns false to
   * stop.  Nothing is asked while the tab is hidden; an error is shown and
   * the next turn tries again.
   */
  function poll(fn, ms) {
    const gen = S.gen;
    const tick = async () => {
      if (gen !== S.gen) return;
      let again = true;
      if (!document.hidden) {
        try {
          again = (await fn(() => gen === S.gen)) !== false;
          if (gen === S.gen) status('');
        } catch (e) {
          if (gen === S.gen && e.code !== 401) status(e.message, true);
        }
      }
      if (gen === S.gen && again && S.token) S.timer = setTimeout(tick, ms);
    };
    tick();
  }

  function table(cols, rows, attrs) {
    return h('table', attrs || {},
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)))),
      h('tbody', {}, rows));
  }

  function bar(counts, total) {
    return h('div', { class: 'bar', role: 'img',
      'aria-label': STATES.map((s) => s + ' ' + (counts[s] || 0)).join(', ') },
    STATES.filter((s) => counts[s] > 0).map((s) => {
      const seg = h('span', { class: 'seg-' + s, title: s + ': ' + counts[s] });
      seg.style.width = (100 * counts[s] / Math.max(1, total)) + '%';   // CSSOM: allowed by CSP
      return seg;
    }));
  }

  /* ---- nodes ---- */

  function viewNodes(view) {
    const summary = h('p', { id: 'summary', class: 'card' }, 'Loading…');
    const holder = h('div', {});
    const changed = changes();
    view.append(h('h1', {}, 'Nodes'), summary, holder,
      h('p', { class: 'hint' }, 'Counts link to the agents list with that filter. ',
        'Refreshed every ', NODES_POLL_MS / 1000, ' s.'));
    poll(async (live) => {
      const [sum, dist, nodes] = await Promise.all([
        api('GET', '/agents/summary/status'),
        // 000, the manager's own, is left out as the summary leaves it out
        api('GET', '/agents/stats/distinct', { fields: 'node_name,status', q: 'id!=000', limit: 10000 }),
        S.cluster && may('cluster:read') ? api('GET', '/cluster/nodes', { limit: 500 }) : null,
      ]);
      if (!live() || !changed([sum.body.data, dist.body.data, nodes && nodes.body.data])) return;
      const c = sum.body.data.connection;
      put(summary, 
        h('strong', { id: 'total', dataset: { count: c.total } }, fmt(c.total)), ' agents: ',
        STATUSES.map((s, i) => [i ? ', ' : '',
          h('a', { href: route('agents', { status: s }), class: 'status-' + s, dataset: { status: s, count: c[s] } },
            fmt(c[s]), ' ', s.replace('_', ' '))]));
      const byNode = new Map();
      const info = new Map();
      for (const n of (nodes ? nodes.body.data.affected_items : [])) {
        info.set(n.name, n);
        byNode.set(n.name, {});
      }
      for (const d of dist.body.data.affected_items) {
        if (!byNode.has(d.node_name)) byNode.set(d.node_name, {});
        byNode.get(d.node_name)[d.status] = d.count;
      }
      const rows = [...byNode.keys()].sort((a, b) =>
        ((info.get(a) || {}).type === 'master' ? -1 : 0) - ((info.get(b) || {}).type === 'master' ? -1 : 0) ||
        a.localeCompare(b)).map((name) => {
        const n = info.get(name) || {}, cnt = byNode.get(name);
        const total = STATUSES.reduce((t, s) => t + (cnt[s] || 0), 0);
        return h('tr', { dataset: { node: name } },
          h('th', { scope: 'row' }, h('a', { href: route('agents', { node: name }) }, name)),
          h('td', {}, n.type || (info.size ? 'not connected' : '—')),
          h('td', {}, n.version || ''),
          h('td', {}, n.ip || ''),
          STATUSES.map((s) => h('td', { class: 'num', dataset: { status: s, count: cnt[s] || 0 } },
            cnt[s] ? h('a', { href: route('agents', { node: name, status: s }) }, fmt(cnt[s])) : '0')),
          h('td', { class: 'num', dataset: { status: 'total', count: total } }, fmt(total)));
      });
      put(holder, table([{ title: 'Node' }, { title: 'Type' }, { title: 'Version' },
        { title: 'Address' }, ...STATUSES.map((s) => ({ title: s.replace('_', ' '), num: true })),
        { title: 'Total', num: true }], rows, { id: 'nodes-table' }));
    }, NODES_POLL_MS);
  }

  /* ---- agents ---- */

  function viewAgents(view, parts, q) {
    const f = { status: q.get('status') || '', node: q.get('node') || '', group: q.get('group') || '',
      search: q.get('search') || '', q: q.get('q') || '' };
    const offset = Math.max(0, parseInt(q.get('offset') || '0', 10) || 0);
    const input = (id, label, value, extra) => h('p', {},
      h('label', { for: id }, label), h('input', Object.assign({ id, name: id, value }, extra || {})));
    const form = h('form', { id: 'agents-filter', class: 'card row', role: 'search' },
      h('p', {}, h('label', { for: 'f-status' }, 'Status'),
        h('select', { id: 'f-status', name: 'status' },
          h('option', { value: '' }, 'any'),
          STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, s.replace('_', ' '))))),
      input('f-node', 'Node', f.node, { list: 'node-names', size: 12 }),
      input('f-group', 'Group', f.group, { list: 'group-names', size: 12 }),
      input('f-search', 'Search', f.search, { type: 'search', size: 14 }),
      input('f-q', 'Query (q)', f.q, { size: 26, placeholder: 'os.platform=ubuntu;version<4.12' }),
      h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Apply'), ' ',
        h('button', { type: 'button', onclick: () => { location.hash = '#/agents'; } }, 'Clear')),
      h('datalist', { id: 'node-names' }), h('datalist', { id: 'group-names' }));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.hash = route('agents', { status: form.elements.status.value,
        node: form.elements['f-node'].value.trim(), group: form.elements['f-group'].value.trim(),
        search: form.elements['f-search'].value.trim(), q: form.elements['f-q'].value.trim() });
    });
    const info = h('p', { id: 'agents-count', class: 'muted' }, 'Loading…');
    const pager = h('div', { class: 'pager' });
    const holder = h('div', {});
    const changed = changes();
    view.append(h('h1', {}, 'Agents'), form, info, holder, pager);
    fillDatalists(form);
    poll(async (live) => {
      const { body } = await api('GET', '/agents', {
        limit: PAGE, offset, sort: '+id', status: f.status, node_name: f.node, group: f.group,
        search: f.search, q: f.q,
        select: 'id,name,ip,status,node_name,group,version,os.name,os.version,lastKeepAlive',
      });
      if (!live() || !changed(body.data)) return;
      const d = body.data, total = d.total_affected_items, items = d.affected_items;
      put(info, total ? ['Agents ', fmt(offset + 1), '–', fmt(offset + items.length), ' of ',
        h('strong', { id: 'agents-total', dataset: { count: total } }, fmt(total))]
        : h('span', { id: 'agents-total', dataset: { count: 0 } }, 'No agent matches.'));
      put(holder, table(['ID', 'Name', 'IP', 'Status', 'Node', 'Groups', 'Version', 'OS',
        'Last keepalive'].map((t) => ({ title: t })), items.map((a) => h('tr', { dataset: { id: a.id } },
        h('td', {}, h('a', { href: route('agent/' + encodeURIComponent(a.id)) }, a.id)),
        h('td', {}, a.name), h('td', {}, a.ip || ''),
        h('td', { class: 'status-' + a.status }, a.status),
        h('td', {}, a.node_name || ''), h('td', { class: 'wrap' }, (a.group || []).join(', ')),
        h('td', {}, a.version || ''),
        h('td', {}, a.os ? [a.os.name, a.os.version].filter(Boolean).join(' ') : ''),
        h('td', {}, when(a.lastKeepAlive)))), { id: 'agents-table' }));
      const page = (o) => route('agents', Object.assign({}, f, { offset: o || '' }));
      put(pager, 
        h('button', { type: 'button', id: 'prev', disabled: offset === 0,
          onclick: () => { location.hash = page(Math.max(0, offset - PAGE)); } }, '← Previous'),
        h('span', {}, 'Page ', fmt(Math.floor(offset / PAGE) + 1), ' of ', fmt(Math.max(1, Math.ceil(total / PAGE)))),
        h('button', { type: 'button', id: 'next', disabled: offset + PAGE >= total,
          onclick: () => { location.hash = page(offset + PAGE); } }, 'Next →'));
    }, AGENTS_POLL_MS);
  }

  /* fillDatalists: node and group names for the inputs (suggestions only; best effort). */
  async function fillDatalists(root) {
    const gen = S.gen;
    const [nodes, groups] = await Promise.all([
      api('GET', '/agents/stats/distinct', { fields: 'node_name', limit: 1000 }).catch(() => null),
      may('group:read') ? api('GET', '/groups', { select: 'name', limit: 500 }).catch(() => null) : null,
    ]);
    if (gen !== S.gen) return;
    const fill = (id, r) => {
      const dl = root.querySelector('#' + id);
      if (dl && r) dl.replaceChildren(...r.body.data.affected_items.map((i) => h('option', { value: i.name })));
    };
    const nodeNames = nodes ? nodes.body.data.affected_items.map((i) => i.node_name)
      .filter((n) => n && n !== 'unknown').sort() : [];
    const dl = root.querySelector('#node-names');
    if (dl) dl.replaceChildren(...nodeNames.map((n) => h('option', { value: n })));
    fill('group-names', groups);
    return { nodes: nodeNames,
      groups: groups ? groups.body.data.affected_items.map((i) => i.name) : [] };
  }

  /* ---- one agent ---- */

  function viewAgent(view, parts) {
    const id = parts[1] || '';
    const facts = h('div', { class: 'card' }, 'Loading…');
    const act = h('div', {});
    const changed = changes();
    view.append(h('h1', {}, 'Agent ', id), facts, act);
    if (may('agent:restart')) {
      act.append(h('button', { type: 'button', id: 'agent-restart', class: 'danger',
        onclick: () => confirmBox(act, 'Restart agent ' + id + '?', 'Restart', async () => {
          const { res } = await api('PUT', '/agents/' + encodeURIComponent(id) + '/restart');
          goJob(res, act);
        }) }, 'Restart this agent…'));
    }
    poll(async (live) => {
      const { body } = await api('GET', '/agents', { agents_list: id });
      if (!live() || !changed(body.data)) return;
      const a = body.data.affected_items[0];
      if (!a) {
        put(facts, 'No agent ', id, ' (or you may not read it).');
        return false;
      }
      const os = a.os || {};
      const rows = [['Name', a.name], ['Status', h('span', { class: 'status-' + a.status, id: 'agent-status' }, a.status)],
        ['Status code', a.status_code], ['Node', a.node_name], ['IP', a.ip], ['Registered from', a.registerIP],
        ['Groups', (a.group || []).map((g, i) => [i ? ', ' : '', h('a', { href: route('agents', { group: g }) }, g)])],
        ['Version', a.version], ['OS', [os.name, os.version, os.arch].filter(Boolean).join(' ')],
        ['Platform', os.platform], ['Manager', a.manager], ['Added', when(a.dateAdd)],
        ['Last keepalive', when(a.lastKeepAlive)], ['Configuration', a.group_config_status],
        ['Merged sum', a.mergedSum], ['Config sum', a.configSum]];
      put(facts, h('dl', { class: 'facts' }, rows.map(([k, v]) =>
        [h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v)])));
    }, NODES_POLL_MS);
  }

  /* ---- confirmation, shared by every action ---- */

  function confirmBox(where, question, yes, action) {
    const old = where.querySelector('.confirm');
    if (old) old.remove();
    const back = () => { box.remove(); };
    const err = h('p', { class: 'error', role: 'alert' });
    const ok = h('button', { type: 'button', class: 'danger', id: 'confirm-yes' }, yes);
    const box = h('div', { class: 'card confirm', role: 'alertdialog', 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q' }, h('strong', {}, question)),
      h('div', { class: 'actions' }, ok,
        h('button', { type: 'button', id: 'confirm-no', onclick: back }, 'Back')), err);
    ok.addEventListener('click', async () => {
      ok.disabled = true;
      try { await action(); } catch (e) { err.textContent = e.message; ok.disabled = false; }
    });
    box.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') back(); });
    where.append(box);
    ok.focus();
    return box;
  }

  /* goJob: the job a restart answer names (X-Vigil-Job), or why there is none. */
  function goJob(res, where) {
    const job = res.headers.get('X-Vigil-Job');
    if (job) {
      location.hash = route('job/' + encodeURIComponent(job));
      return;
    }
    where.append(h('p', { class: 'error', role: 'alert', id: 'no-job' },
      'No agent was targeted: no job was started.'));
  }

  /* ---- jobs ---- */

  function viewJobs(view) {
    const holder = h('div', {}, 'Loading…');
    const changed = changes();
    view.append(h('h1', {}, 'Jobs'),
      may('agent:restart') ? h('p', {}, h('a', { href: '#/restart', id: 'new-restart' }, 'Start a rolling restart…')) : null,
      holder, h('p', { class: 'hint' }, 'The newest first; refreshed every ', LIST_POLL_MS / 1000, ' s.'));
    poll(async (live) => {
      const { body } = await api('GET', '/jobs', { limit: 50 });
      if (!live() || !changed(body.data)) return;
      const items = body.data.affected_items;
      put(holder, items.length ? table(['Job', 'Command', 'Status', 'Scope', 'User', 'Created',
        'Progress', 'Completed'].map((t) => ({ title: t, num: t === 'Completed' })), items.map((j) =>
        h('tr', { dataset: { job: j.id, status: j.status } },
          h('td', {}, h('a', { href: route('job/' + j.id) }, '#', j.id)),
          h('td', {}, j.command), h('td', {}, h('span', { class: 'badge ' + j.status }, j.status)),
          h('td', {}, j.scope), h('td', {}, j.user), h('td', {}, when(j.created)),
          h('td', {}, bar(j.counts, j.total)),
          h('td', { class: 'num' }, fmt(j.counts.completed), ' / ', fmt(j.total)))), { id: 'jobs-table' })
        : h('p', { class: 'muted' }, 'No job yet.'));
    }, LIST_POLL_MS);
  }

  function viewJob(view, parts, q) {
    const id = parts[1] || '';
    const stateFilter = q.get('state') || '';
    const head = h('div', { class: 'card big' }, 'Loading…');
    const act = h('div', {});
    const agents = h('div', {});
    const sel = h('select', { id: 'job-state', name: 'state',
      onchange: () => { location.hash = route('job/' + encodeURIComponent(id), { state: sel.value }); } },
    h('option', { value: '' }, 'every state'),
    STATES.map((s) => h('option', { value: s, selected: s === stateFilter }, s)));
    view.append(h('h1', {}, 'Job #', id), head, act,
      h('h2', {}, 'Agents'), h('p', {}, h('label', { for: 'job-state' }, 'Show agents'), sel), agents);
    let shownStatus = null;
    const changed = changes();
    poll(async (live) => {
      const { body } = await api('GET', '/jobs/' + encodeURIComponent(id), { limit: 50, state: stateFilter });
      if (!live()) return false;
      const j = body.data.affected_items[0];
      if (!changed(j)) return j.status !== 'done';
      put(head, 
        h('p', {}, h('strong', {}, j.command), ' of ', j.scope, ' by ', j.user, ': ',
          h('span', { id: 'job-status', class: 'badge ' + j.status, dataset: { status: j.status } }, j.status),
          ' ', h('span', { class: 'muted', id: 'job-live' }, j.status === 'done' ? 'finished' : 'live')),
        bar(j.counts, j.total),
        h('div', { class: 'counts', id: 'job-counts' }, STATES.map((s) =>
          h('div', { class: s, dataset: { state: s, count: j.counts[s] } },
            h('div', { class: 'n' }, fmt(j.counts[s])), h('div', {}, s)))),
        h('dl', { class: 'facts' }, [['Total', h('span', { id: 'job-total', dataset: { count: j.total } }, fmt(j.total))],
          ['In flight', h('span', { id: 'job-inflight', dataset: { count: j.in_flight } }, fmt(j.in_flight))],
          ['Max in flight', j.max_in_flight ? fmt(j.max_in_flight) : 'no limit'],
          ['Rate', j.rate ? fmt(j.rate) + ' a second' : 'no limit'],
          ['Created', when(j.created)], ['Expires', when(j.expires)],
          ['Cancelled', when(j.cancelled)], ['Finished', when(j.finished)]].map(([k, v]) =>
          [h('dt', {}, k), h('dd', {}, v)])));
      if (j.status !== shownStatus) {
        shownStatus = j.status;
        act.replaceChildren();
        if (j.status === 'running' && may('agent:restart')) {
          act.append(h('button', { type: 'button', class: 'danger', id: 'job-cancel',
            onclick: () => confirmBox(act, 'Cancel job #' + id + '? Agents not yet delivered will not be restarted.',
              'Cancel the job', async () => {
                await api('PUT', '/jobs/' + encodeURIComponent(id) + '/cancel');
                render();
              }) }, 'Cancel job…'));
        }
      }
      const ag = j.agents || { affected_items: [], total_affected_items: 0 };
      put(agents, 
        h('p', { class: 'muted' }, fmt(ag.total_affected_items), ' agents',
          ag.total_affected_items > ag.affected_items.length ? ' (the first ' + ag.affected_items.length + ' shown)' : ''),
        table(['Agent', 'State', 'Node', 'Sends', 'Code', 'Delivered', 'Done'].map((t) => ({ title: t })),
          ag.affected_items.map((a) => h('tr', { dataset: { id: a.id, state: a.state } },
            h('td', {}, h('a', { href: route('agent/' + encodeURIComponent(a.id)) }, a.id)),
            h('td', {}, a.state), h('td', {}, a.node || ''), h('td', {}, a.sends),
            h('td', {}, a.code || ''), h('td', {}, when(a.delivered)), h('td', {}, when(a.done)))),
          { id: 'job-agents' }));
      return j.status !== 'done';
    }, JOB_POLL_MS);
  }

  /* ---- rolling restart ---- */

  function viewRestart(view) {
    view.append(h('h1', {}, 'Rolling restart'));
    if (!may('agent:restart')) {
      view.append(h('p', { id: 'restart-denied', class: 'card' },
        'Your user may not restart agents (the agent:restart permission). The API refuses it too.'));
      return;
    }
    const radio = (v, label, extra) => h('div', { class: 'choice' },
      h('input', { type: 'radio', name: 'target', id: 't-' + v, value: v, checked: v === 'group' }),
      h('label', { for: 't-' + v }, label), extra);
    const groupSel = h('select', { id: 'r-group', 'aria-label': 'Group' });
    const nodeSel = h('select', { id: 'r-node', 'aria-label': 'Node' });
    const list = h('input', { id: 'r-list', 'aria-label': 'Agent ids', size: 40, placeholder: '001,002,017' });
    const num = (id, label, value, hint) => h('p', {}, h('label', { for: id }, label),
      h('input', { id, type: 'number', min: 0, step: 1, value, required: true }), ' ', h('span', { class: 'hint' }, hint));
    const form = h('form', { id: 'restart-form', class: 'card', novalidate: true },
      h('fieldset', {}, h('legend', {}, 'Agents to restart'),
        radio('all', 'All agents'), radio('group', 'A group', groupSel), radio('node', 'A node', nodeSel),
        radio('list', 'These agents', list)),
      h('fieldset', {}, h('legend', {}, 'Pace'), h('div', { class: 'row' },
        num('r-inflight', 'Max in flight', 50, 'agents restarting at once; 0: no limit'),
        num('r-rate', 'Rate', 10, 'deliveries a second; 0: no limit'),
        num('r-expires', 'Expires after', 900, 'seconds'))),
      h('p', { class: 'error', role: 'alert', id: 'restart-error' }),
      h('button', { type: 'submit', class: 'primary', id: 'restart-review' }, 'Review…'));
    const confirmAt = h('div', {});
    view.append(form, confirmAt);
    fillDatalists(h('div', {})).then((names) => {
      if (!names) return;
      groupSel.replaceChildren(...names.groups.map((g) => h('option', { value: g }, g)));
      nodeSel.replaceChildren(...names.nodes.map((n) => h('option', { value: n }, n)));
    });
    for (const el of [groupSel, nodeSel, list])
      el.addEventListener('focus', () => { form.querySelector('#t-' + el.id.slice(2)).checked = true; });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = form.querySelector('#restart-error');
      err.textContent = '';
      const target = form.elements.target.value;
      const pace = {};
      for (const [id, key, max] of [['r-inflight', 'max_in_flight', 100000], ['r-rate', 'rate', 100000],
        ['r-expires', 'expires_in', 604800]]) {
        const v = form.querySelector('#' + id).value.trim();
        if (!/^\d+$/.test(v) || +v > max || (key === 'expires_in' && +v < 1)) {
          err.textContent = 'Check "' + form.querySelector('label[for="' + id + '"]').textContent + '".';
          form.querySelector('#' + id).focus();
          return;
        }
        pace[key] = v;
      }
      let path, what, count = {};
      if (target === 'all') { path = '/agents/restart'; what = 'every agent'; count = {}; }
      else if (target === 'group') {
        if (!groupSel.value) { err.textContent = 'Choose a group.'; return; }
        path = '/agents/group/' + encodeURIComponent(groupSel.value) + '/restart';
        what = 'the agents of group ' + groupSel.value; count = { group: groupSel.value };
      } else if (target === 'node') {
        if (!nodeSel.value) { err.textContent = 'Choose a node.'; return; }
        path = '/agents/node/' + encodeURIComponent(nodeSel.value) + '/restart';
        what = 'the agents on node ' + nodeSel.value; count = { node_name: nodeSel.value };
      } else {
        const ids = list.value.split(/[\s,]+/).filter(Boolean);
        if (!ids.length || !ids.every((i) => /^\d{1,8}$/.test(i))) { err.textContent = 'List agent ids: 001,002'; return; }
        path = '/agents/restart';
        pace.agents_list = ids.join(',');
        what = ids.length + ' listed agent' + (ids.length > 1 ? 's' : '');
      }
      let n = '';
      if (target !== 'list') {
        try {
          const { body } = await api('GET', '/agents', Object.assign({ status: 'active', q: 'id!=000', limit: 1, select: 'id' }, count));
          n = ' (' + fmt(body.data.total_affected_items) + ' active now)';
        } catch (e) { n = ''; }
      }
      const pacing = (+pace.max_in_flight ? 'at most ' + pace.max_in_flight + ' at once' : 'no limit at once') + ', ' +
        (+pace.rate ? pace.rate + ' a second' : 'as fast as they go');
      confirmBox(confirmAt, 'Restart ' + what + n + ', ' + pacing + '?', 'Start the restart', async () => {
        const { res } = await api('PUT', path, pace);
        goJob(res, confirmAt);
      });
    });
  }

  /* ---- start ---- */

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    window.addEventListener('hashchange', () => {
      if (location.hash.startsWith('#/')) render();
    });
    signedOut('');
  });
})();
