
(function () {
  'use strict';
  // The records of installsift's HTML report (render/html.rs): one per node,
  // parent before children. u: distance back to the parent (0: an input),
  // n: name, f: format, v: verdict, fa: family, k: kind, s: size,
  // h / h1 / m5: hashes, t: tools line, e: errors, x: details, ie: the
  // error of an input that could not be scanned. Every string from a
  // scanned file reaches the page through textContent, never as markup.
  var started = performance.now();
  var data = JSON.parse(document.getElementById('installsift-data').textContent);
  var N = data.length;
  var parent = new Int32Array(N);
  var kids = new Array(N);
  var roots = [];
  var i, r, p;
  for (i = 0; i < N; i++) {
    r = data[i];
    p = r.u ? i - r.u : -1;
    if (p < 0 || p >= i) {
      parent[i] = -1;
      roots.push(i);
    } else {
      parent[i] = p;
      (kids[p] || (kids[p] = [])).push(i);
    }
  }
  function hasErrors(rec) { return !!(rec.ie || (rec.e && rec.e.length)); }
  // Nodes with errors below each node (parents come before children).
  var below = new Int32Array(N);
  for (i = N - 1; i >= 0; i--) {
    p = parent[i];
    if (p >= 0) below[p] += below[i] + (hasErrors(data[i]) ? 1 : 0);
  }

  var CHUNK = 500;      // children drawn at a time
  var MAX_HITS = 1000;  // search results drawn
  var OPEN_ALL_MAX = 50000;
  var tree = document.getElementById('tree');
  var results = document.getElementById('results');
  var summary = document.getElementById('summary');
  var count = document.getElementById('count');
  var box = document.getElementById('q');
  var drawn = 0;        // tree nodes in the DOM

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function human(n) {
    if (n < 1024) return n + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'], v = n, u = -1;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return v.toFixed(1) + ' ' + units[u];
  }
  function pathOf(j) {
    var names = [];
    for (; j >= 0; j = parent[j]) names.push(data[j].n);
    return names.reverse();
  }

  // Copy to the clipboard; when the API is missing or refused, select the
  // text so that Ctrl+C copies it.
  function copyButton(text, target) {
    var b = el('button', 'copy', 'copy');
    b.type = 'button';
    b.title = 'Copy ' + text;
    b.addEventListener('click', function (ev) {
      ev.preventDefault();
      ev.stopPropagation();
      function fallback() {
        var sel = window.getSelection();
        if (sel && target) sel.selectAllChildren(target);
        b.textContent = 'selected: Ctrl+C';
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () {
          b.textContent = 'copied';
        }, fallback);
      } else {
        fallback();
      }
    });
    return b;
  }

  function verdictBadge(rec) {
    if (rec.ie) return el('span', 'badge err', 'not scanned');
    if (rec.v === 'installer') {
      return el('span', 'badge installer', 'installer' + (rec.fa ? ': ' + rec.fa : ''));
    }
    return el('span', 'badge ' + rec.v, rec.v + (rec.k ? ': ' + rec.k : ''));
  }

  // One node's line: name, badges, size, hash, tools, errors.
  function line(j, into) {
    var rec = data[j];
    into.appendChild(el('span', 'name', rec.n));
    if (!rec.ie) into.appendChild(el('span', 'badge fmt', rec.f));
    into.appendChild(verdictBadge(rec));
    if (rec.ie) {
      into.appendChild(el('span', 'badge err', rec.ie));
      return;
    }
    into.appendChild(el('span', 'size', human(rec.s)));
    if (rec.h) {
      var code = el('code', 'hash', rec.h);
      into.appendChild(code);
      into.appendChild(copyButton(rec.h, code));
    } else {
      into.appendChild(el('code', 'hash', 'no sha256'));
    }
    if (rec.t) into.appendChild(el('span', 'tools', rec.t));
    if (rec.e && rec.e.length) {
      var b = el('span', 'badge err', '\u26a0 ' + rec.e.length + (rec.e.length === 1 ? ' error' : ' errors'));
      b.title = rec.e.join('\n');
      into.appendChild(b);
    }
    if (below[j]) {
      var w = el('span', 'badge below', '\u26a0 ' + below[j] + ' inside');
      w.title = below[j] + ' nodes below this one carry errors';
      into.appendChild(w);
    }
  }

  function dl(pairs) {
    var d = el('dl');
    pairs.forEach(function (kv) {
      if (kv[1] === undefined || kv[1] === null || kv[1] === '') return;
      d.appendChild(el('dt', null, kv[0]));
      var dd = el('dd');
      if (kv[1] instanceof Node) dd.appendChild(kv[1]); else dd.textContent = String(kv[1]);
      d.appendChild(dd);
    });
    return d;
  }
  function hashCell(h) {
    if (!h) return null;
    var span = el('span', 'full');
    var code = el('code', 'hash', h);
    span.appendChild(code);
    span.appendChild(copyButton(h, code));
    return span;
  }
  function pre(value) { return el('pre', null, JSON.stringify(value, null, 2)); }

  // A node's facts: path, hashes, errors, builders, evidence, checks and
  // the format's facts.
  function facts(j) {
    var rec = data[j], x = rec.x || {};
    var panel = el('div', 'facts');
    panel.appendChild(dl([
      ['path', pathOf(j).join(' \u203a ')],
      ['size', rec.ie ? null : rec.s + ' bytes'],
      ['sha256', hashCell(rec.h) || (rec.ie ? null : 'not computed: the content could not be read')],
      ['sha1', hashCell(rec.h1)],
      ['md5', hashCell(rec.m5)],
      ['verified by', (x.verified_by || []).join(', ')],
      ['built with', rec.t]
    ]));
    var errs = rec.ie ? [rec.ie] : (rec.e || []);
    if (errs.length) panel.appendChild(el('div', 'errors', errs.join('\n')));
    var ev = x.evidence || [];
    if (ev.length) {
      panel.appendChild(el('h2', null, 'Evidence'));
      var t = el('table');
      var head = el('tr');
      ['signal', 'strength', 'offset', 'detail'].forEach(function (c) { head.appendChild(el('th', null, c)); });
      t.appendChild(head);
      ev.forEach(function (e) {
        var tr = el('tr');
        tr.appendChild(el('td', null, e.signal));
        tr.appendChild(el('td', null, e.strength));
        tr.appendChild(el('td', 'num', e.offset === undefined ? '' : '0x' + e.offset.toString(16)));
        tr.appendChild(el('td', null, e.detail));
        t.appendChild(tr);
      });
      panel.appendChild(t);
    }
    [['tools', 'Builders and tools'], ['installer', 'Installer facts'], ['entry', 'Entry'],
      ['error_details', 'Error details'], ['metadata', 'Format facts']].forEach(function (kv) {
      if (x[kv[0]] === undefined) return;
      var d = el('details', 'more-facts');
      d.appendChild(el('summary', null, kv[1]));
      d.appendChild(pre(x[kv[0]]));
      panel.appendChild(d);
    });
    return panel;
  }

  // A tree node: a details element whose body (facts, children) is drawn when it
  // is first opened.
  function nodeEl(j) {
    var rec = data[j];
    var d = el('details', 'node' + (hasErrors(rec) ? ' err' : '') + (kids[j] ? '' : ' leaf'));
    d.id = 'n' + j;
    var s = el('summary');
    line(j, s);
    d.appendChild(s);
    d.addEventListener('toggle', function () { if (d.open) fill(d, j); });
    drawn++;
    return d;
  }
  function fill(d, j) {
    if (d.filled) return;
    d.filled = true;
    var k = kids[j];
    if (!k) {
      d.appendChild(facts(j));
      return;
    }
    var f = el('details', 'more-facts');
    f.appendChild(el('summary', null, 'facts and evidence'));
    f.addEventListener('toggle', function () {
      if (f.open && !f.filled) { f.filled = true; f.appendChild(facts(j)); }
    });
    d.appendChild(f);
    var c = el('div', 'kids');
    d.appendChild(c);
    d.kids = c;
    drawMore(c, k, 0);
  }
  // Children (or inputs) from `from`, CHUNK at a time; a button draws the
  // next ones. `c.next` draws them without the click.
  function drawMore(c, list, from, all) {
    var to = all ? list.length : Math.min(list.length, from + CHUNK);
    for (var m = from; m < to; m++) c.appendChild(nodeEl(list[m]));
    c.next = null;
    if (to < list.length) {
      var b = el('button', 'more', 'show ' + Math.min(CHUNK, list.length - to) + ' more (' + (list.length - to) + ' not shown)');
      b.type = 'button';
      c.next = function () { b.remove(); drawMore(c, list, to); };
      b.addEventListener('click', c.next);
      c.appendChild(b);
    }
  }
  function open(d, j) { fill(d, j); d.open = true; }

  // The element of node j, drawing and opening its ancestors as needed.
  function ensure(j) {
    var found = document.getElementById('n' + j);
    if (found) return found;
    var p = parent[j];
    var c = tree;
    if (p >= 0) {
      var pd = ensure(p);
      open(pd, p);
      c = pd.kids;
    }
    while (!(found = document.getElementById('n' + j)) && c && c.next) c.next();
    return found;
  }
  function reveal(j) {
    setQuery('', false);
    var d = ensure(j);
    if (!d) return;
    open(d, j);
    var old = document.querySelector('details.node.hl');
    if (old) old.classList.remove('hl');
    d.classList.add('hl');
    if (d.scrollIntoView) d.scrollIntoView({ block: 'center' });
  }

  function openAll() {
    // Depth first, every node and all its children, up to OPEN_ALL_MAX drawn.
    var stack = roots.slice().reverse();
    while (stack.length && drawn < OPEN_ALL_MAX) {
      var j = stack.pop();
      var d = ensure(j);
      if (!d || !kids[j]) continue;
      open(d, j);
      while (d.kids.next && drawn < OPEN_ALL_MAX) d.kids.next();
      for (var m = kids[j].length - 1; m >= 0; m--) stack.push(kids[j][m]);
    }
    if (stack.length) {
      tree.insertBefore(el('p', 'note', 'Stopped opening at ' + drawn + ' nodes; search to find the others.'), tree.firstChild);
    }
  }

  // The first view: the inputs, and as many nodes opened (breadth first,
  // from the first input) as keep the page small; a lone input is opened
  // whatever its size (its first CHUNK entries).
  function firstView() {
    drawMore(tree, roots, 0);
    var budget = 400;
    var queue = roots.slice(0, CHUNK);
    for (var q = 0; q < queue.length && budget > 0; q++) {
      var j = queue[q], k = kids[j];
      if (!k) continue;
      var cost = Math.min(k.length, CHUNK);
      if (cost > budget && !(roots.length === 1 && q === 0)) continue;
      var d = document.getElementById('n' + j);
      if (!d) continue;
      open(d, j);
      budget -= cost;
      for (var m = 0; m < cost; m++) queue.push(k[m]);
    }
  }

  // Search: a name (substring, any case), a hash prefix (4+ hex digits of
  // the SHA-256, SHA-1 or MD5), family:NAME, or is:error.
  function matcher(text) {
    var t = text.trim().toLowerCase();
    if (!t) return null;
    if (t.indexOf('family:') === 0) {
      var fam = t.slice(7);
      return function (rec) { return rec.v === 'installer' && (rec.fa || '') === fam; };
    }
    if (t === 'is:error') return hasErrors;
    var hex = /^[0-9a-f]{4,}$/.test(t);
    return function (rec) {
      if (hex && ((rec.h && rec.h.indexOf(t) === 0) || (rec.h1 && rec.h1.indexOf(t) === 0) ||
          (rec.m5 && rec.m5.indexOf(t) === 0))) return true;
      return rec.n.toLowerCase().indexOf(t) >= 0;
    };
  }
  function search(text) {
    var m = matcher(text);
    results.textContent = '';
    if (!m) {
      results.hidden = true;
      tree.hidden = false;
      count.textContent = N + ' nodes';
      return;
    }
    var list = el('ol', 'hits');
    var hits = 0;
    for (var j = 0; j < N; j++) {
      if (!m(data[j])) continue;
      hits++;
      if (hits > MAX_HITS) continue;
      var li = el('li', 'hit');
      li.setAttribute('data-i', j);
      var path = pathOf(j);
      if (path.length > 1) li.appendChild(el('div', 'path', path.slice(0, -1).join(' \u203a ') + ' \u203a'));
      var s = el('div');
      line(j, s);
      var go = el('button', 'link', 'show in tree');
      go.type = 'button';
      (function (j) { go.addEventListener('click', function () { reveal(j); }); })(j);
      s.appendChild(go);
      li.appendChild(s);
      list.appendChild(li);
    }
    results.appendChild(el('h2', null, hits + (hits === 1 ? ' match' : ' matches') + ' for \u201c' + text.trim() + '\u201d'));
    results.appendChild(list);
    if (hits > MAX_HITS) results.appendChild(el('p', 'note', 'The first ' + MAX_HITS + ' are shown; narrow the search.'));
    results.hidden = false;
    tree.hidden = true;
    count.textContent = hits + ' of ' + N;
  }
  function setQuery(text, fromBox) {
    if (!fromBox) box.value = text;
    search(text);
    try {
      history.replaceState(null, '', text ? '#q=' + encodeURIComponent(text) : location.pathname + location.search);
    } catch (err) { /* a page opened where the history cannot change */ }
  }
  var timer = 0;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { setQuery(box.value, true); }, 150);
  });

  // The summary: totals, installers by family, and every input.
  function drawSummary() {
    var inputs = roots.length, failed = 0, installers = 0, nested = 0, withErrors = 0;
    var fams = {};
    for (var j = 0; j < N; j++) {
      var rec = data[j];
      if (rec.ie) { failed++; continue; }
      if (hasErrors(rec)) withErrors++;
      if (rec.v !== 'installer') continue;
      var f = rec.fa || '(none)';
      var row = fams[f] || (fams[f] = { inputs: 0, nested: 0 });
      if (parent[j] < 0) { installers++; row.inputs++; } else { nested++; row.nested++; }
    }
    var t = el('p', 'totals');
    [[inputs, 'inputs'], [N - failed, 'nodes'], [installers, 'installers'],
      [nested, 'installers nested inside'], [withErrors, 'nodes with errors'],
      [failed, 'inputs not scanned']].forEach(function (kv, ix) {
      if (ix > 0) t.appendChild(document.createTextNode(', '));
      var b = el('b', null, kv[0]);
      b.id = 'total-' + kv[1].replace(/ /g, '-');
      t.appendChild(b);
      t.appendChild(document.createTextNode(' ' + kv[1]));
    });
    if (withErrors) {
      t.appendChild(document.createTextNode(' '));
      var all = el('button', 'link', 'list them');
      all.type = 'button';
      all.addEventListener('click', function () { setQuery('is:error'); });
      t.appendChild(all);
    }
    summary.appendChild(t);
    var names = Object.keys(fams).sort(function (a, b) {
      var x = fams[a].inputs + fams[a].nested, y = fams[b].inputs + fams[b].nested;
      return y - x || (a < b ? -1 : 1);
    });
    if (names.length) {
      var d = el('details', 'families');
      d.open = true;
      d.appendChild(el('summary', null, 'Installers by family'));
      var grid = el('div', 'fams');
      grid.id = 'families';
      names.forEach(function (name) {
        var chip = el('div', 'fam');
        chip.setAttribute('data-family', name);
        var a = el('button', 'link', name);
        a.type = 'button';
        a.title = 'Search family:' + name;
        a.addEventListener('click', function () { setQuery('family:' + name); });
        chip.appendChild(a);
        var n = el('span', 'n-inputs', fams[name].inputs);
        n.title = 'inputs';
        chip.appendChild(n);
        if (fams[name].nested) {
          var m = el('span', 'n-nested', '+' + fams[name].nested + ' nested');
          m.title = 'installers found inside other files';
          chip.appendChild(m);
        }
        grid.appendChild(chip);
      });
      d.appendChild(grid);
      summary.appendChild(d);
    }
    // Per input: its verdict, nodes and errors (the first CHUNK inputs).
    var per = el('details', 'inputs');
    per.open = inputs <= 20;
    per.appendChild(el('summary', null, 'Inputs (' + inputs + ')'));
    per.addEventListener('toggle', function () {
      if (!per.open || per.filled) return;
      per.filled = true;
      var tab = el('table');
      tab.id = 'inputs';
      var head = el('tr');
      [['input', ''], ['verdict', ''], ['nodes', 'num'], ['with errors', 'num']].forEach(function (c) { head.appendChild(el('th', c[1], c[0])); });
      tab.appendChild(head);
      roots.slice(0, CHUNK).forEach(function (j) {
        var end = j + 1;
        while (end < N && parent[end] >= 0) end++;
        var tr = el('tr');
        var td = el('td');
        var a = el('button', 'link', data[j].n);
        a.type = 'button';
        a.addEventListener('click', function () { reveal(j); });
        td.appendChild(a);
        tr.appendChild(td);
        var v = el('td');
        v.appendChild(verdictBadge(data[j]));
        tr.appendChild(v);
        tr.appendChild(el('td', 'num', data[j].ie ? '' : end - j));
        tr.appendChild(el('td', 'num', below[j] + (hasErrors(data[j]) ? 1 : 0)));
        tab.appendChild(tr);
      });
      per.appendChild(tab);
      if (inputs > CHUNK) per.appendChild(el('p', 'note', 'The first ' + CHUNK + ' of ' + inputs + ' inputs; search for the others.'));
    });
    summary.appendChild(per);
    if (per.open) per.dispatchEvent(new Event('toggle'));
  }

  // The URL fragment: #q=TEXT, #n=INDEX, #open=all.
  function fromFragment() {
    var h = location.hash.replace(/^#/, '');
    var kv = h.split('=');
    var key = kv.shift(), value = '';
    try { value = decodeURIComponent(kv.join('=')); } catch (err) { value = kv.join('='); }
    if (key === 'q') { setQuery(value); return; }
    if (key === 'n' && /^[0-9]+$/.test(value) && Number(value) < N) { reveal(Number(value)); return; }
    if (key === 'open' && value === 'all') openAll();
  }

  drawSummary();
  firstView();
  count.textContent = N + ' nodes';
  fromFragment();
  window.addEventListener('hashchange', fromFragment);
  var footer = document.getElementById('footer');
  footer.appendChild(document.createTextNode(' \u00b7 ' + N + ' nodes, drawn in '));
  var ms = el('span', null, Math.round(performance.now() - started));
  ms.id = 'drawn-ms';
  footer.appendChild(ms);
  footer.appendChild(document.createTextNode(' ms, usable '));
  var at = el('span', null, Math.round(performance.now()));
  at.id = 'usable-ms';
  footer.appendChild(at);
  footer.appendChild(document.createTextNode(' ms after the page was opened'));
})();
