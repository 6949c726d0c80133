/* liangshai: site search on search/index.html with Pagefind's JS API.
   The build writes one Pagefind index per shard, a unit's posts of one year
   (pagefind/<unit>/<year>/, so an edit re-indexes one shard), and
   pagefind/units.json listing them with the counts of their filter values:
   {"filters": {key: {value: pages}}, "shards": [{"unit", "year", "pages",
   "filters"}, ...]}. Opening the page fetches only that file and Pagefind's
   pagefind.js (from the first shard's index): the filter menus are filled from
   the manifest. The shards are merged into the first one (Pagefind's
   multisite mergeIndex; the WebAssembly is loaded once) when a search needs
   them, at the first keystroke: only the shards with posts that have the chosen
   filter values (all of them for a query of two or more words, see shardsFor).
   All paths are relative to the page, so search works offline and under any
   sub-path. Each shard gets the synthetic filter shard: "<unit>/<year>"
   (mergeFilter), which lets a search pick exactly one shard (see searchByDate).
   No inline script or style: runs under
   script-src 'self' 'wasm-unsafe-eval'; style-src 'self'. */
(function () {
  "use strict";
  var KEYS = ["unit", "column", "year", "meeting"];
  var LABELS = { unit: "单位", column: "栏目", year: "年份", meeting: "会议类型" };
  var PAGE = 10;
  /* Pagefind segments the index with jieba and the query with the browser's
     Intl.Segmenter; the two split Chinese differently ("党史" → 党/史), which
     blurs the ranking. So the first RERANK results are ordered again: the
     query found verbatim in the title, then in the unit/column/meeting labels,
     then Pagefind's own order (stable). */
  var RERANK = 30;

  var form = document.getElementById("search-form");
  if (!form) return;
  var root = form.getAttribute("data-root") || "";
  var order = {};
  try { order = JSON.parse(form.getAttribute("data-order") || "{}"); } catch (e) { order = {}; }
  var input = document.getElementById("search-q");
  var box = document.getElementById("search-filters");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var moreButton = more.querySelector("button");

  var pagefind = null;
  var selects = {};
  var sortSelect = null;
  var unitNames = [];  // the unit filter's values (a unit's posts are in one or more shards)
  var shards = [];  // the manifest's shards: {unit, year, key, filters}
  var merged = {};  // shard key → the promise of its index merged in
  var source = null;  // {total, next(n)}: the results in display order, data loaded lazily
  var shown = 0;
  var generation = 0;
  var timer = null;

  function setState(state, text) {
    status.setAttribute("data-state", state);
    if (text !== undefined) status.textContent = text;
  }

  function dateText(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[1] + "年" + Number(m[2]) + "月" + Number(m[3]) + "日" : (iso || "");
  }

  function sortedValues(key, counts) {
    var values = Object.keys(counts);
    if (key === "year") return values.sort(function (a, b) { return Number(b) - Number(a); });
    var wanted = order[key] || [];
    return values.sort(function (a, b) {
      var ia = wanted.indexOf(a), ib = wanted.indexOf(b);
      if (ia < 0) ia = wanted.length;
      if (ib < 0) ib = wanted.length;
      return ia - ib || a.localeCompare(b, "zh-CN");
    });
  }

  function control(id, labelText, select) {
    var wrap = document.createElement("p");
    wrap.className = "search-filter";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    select.id = id;
    wrap.appendChild(label);
    wrap.appendChild(select);
    box.appendChild(wrap);
  }

  function option(value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function buildFilters(filters, params) {
    KEYS.forEach(function (key) {
      var counts = filters[key];
      if (!counts || !Object.keys(counts).length) return;
      var select = document.createElement("select");
      select.name = key;
      select.appendChild(option("", "全部"));
      sortedValues(key, counts).forEach(function (value) {
        select.appendChild(option(value, value + "（" + counts[value] + "）"));
      });
      var wanted = params.get(key);
      if (wanted && counts[wanted] !== undefined) select.value = wanted;
      select.addEventListener("change", run);
      selects[key] = select;
      control("search-f-" + key, LABELS[key], select);
    });
    sortSelect = document.createElement("select");
    sortSelect.name = "sort";
    sortSelect.appendChild(option("", "按相关度"));
    sortSelect.appendChild(option("date", "按日期（新的在前）"));
    if (params.get("sort") === "date") sortSelect.value = "date";
    sortSelect.addEventListener("change", run);
    control("search-f-sort", "排序", sortSelect);
    box.hidden = false;
  }

  function chosenFilters() {
    var chosen = {};
    KEYS.forEach(function (key) {
      if (selects[key] && selects[key].value) chosen[key] = selects[key].value;
    });
    return chosen;
  }

  function remember(q, chosen) {
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    Object.keys(chosen).forEach(function (key) { params.set(key, chosen[key]); });
    if (sortSelect && sortSelect.value) params.set("sort", sortSelect.value);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  /* The excerpt is HTML from the index: keep its text and <mark>s, nothing else
     (and drop the zero-width spaces Pagefind puts between Chinese words). */
  var ZWSP = /\u200b/g;
  function excerptNode(html) {
    var p = document.createElement("p");
    p.className = "excerpt";
    var doc = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    (function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (node) {
        if (node.nodeType === 3) {
          to.appendChild(document.createTextNode(node.nodeValue.replace(ZWSP, "")));
        } else if (node.nodeType === 1) {
          if (node.nodeName === "MARK") {
            var mark = document.createElement("mark");
            mark.textContent = node.textContent.replace(ZWSP, "");
            to.appendChild(mark);
          } else {
            copy(node, to);
          }
        }
      });
    })(doc.body, p);
    return p;
  }

  function resultItem(data) {
    var meta = data.meta || {};
    var li = document.createElement("li");
    li.className = "search-result";
    var a = document.createElement("a");
    a.className = "post-title";
    a.href = root + String(data.url || "").replace(/^\/+/, "");
    a.textContent = meta.title || data.url;
    li.appendChild(a);
    var line = document.createElement("span");
    line.className = "meta";
    if (meta.unit) {
      var unit = document.createElement("span");
      unit.className = "unit";
      unit.textContent = meta.unit;
      line.appendChild(unit);
    }
    if (meta.column) {
      var column = document.createElement("span");
      column.className = "section";
      column.textContent = meta.column;
      line.appendChild(column);
    }
    if (meta.date) {
      var time = document.createElement("time");
      time.setAttribute("datetime", meta.date);
      time.textContent = dateText(meta.date);
      line.appendChild(time);
    }
    ((data.filters && data.filters.meeting) || []).forEach(function (name) {
      var badge = document.createElement("span");
      badge.className = "badge meeting";
      badge.textContent = name;
      line.appendChild(badge);
    });
    li.appendChild(line);
    li.appendChild(excerptNode(data.excerpt));
    return li;
  }

  function load(item) {
    return item.data ? Promise.resolve(item.data) : item.result.data().then(function (data) { item.data = data; return data; });
  }

  function relevance(data, parts) {
    var meta = data.meta || {};
    var title = (meta.title || "").toLowerCase();
    var labels = [meta.unit || "", meta.column || ""].concat((data.filters && data.filters.meeting) || []).join(" ").toLowerCase();
    var inTitle = parts.every(function (p) { return title.indexOf(p) >= 0; });
    var inLabels = parts.every(function (p) { return labels.indexOf(p) >= 0; });
    return (inTitle ? 2 : 0) + (inLabels ? 1 : 0);
  }

  function rerank(items, q) {
    var parts = q.toLowerCase().split(/\s+/).filter(Boolean);
    var head = items.slice(0, RERANK);
    return Promise.all(head.map(load)).then(function () {
      var scored = head.map(function (item, i) { return { item: item, i: i, score: relevance(item.data, parts) }; });
      scored.sort(function (a, b) { return b.score - a.score || a.i - b.i; });
      return scored.map(function (s) { return s.item; }).concat(items.slice(RERANK));
    });
  }

  /* Results already in display order. */
  function listSource(items) {
    var at = 0;
    return {
      total: items.length,
      next: function (n) {
        var chunk = items.slice(at, at + n);
        at += chunk.length;
        return Promise.all(chunk.map(load));
      }
    };
  }

  function newer(a, b) {
    var da = (a.meta && a.meta.date) || "", db = (b.meta && b.meta.date) || "";
    return da > db;
  }

  /* Newest first across shard indexes. Pagefind's merged search orders the
     indexes' results by score, and with a sort the score is a page's rank
     within its own index, so each shard is searched on its own (its shard
     filter picks it) and the lists, each newest first, are merged here:
     only the head of each list needs its data loaded. */
  function mergedSource(lists) {
    var at = lists.map(function () { return 0; });
    var queue = Promise.resolve();
    function step(n, out) {
      if (out.length >= n) return Promise.resolve(out);
      var heads = [];
      lists.forEach(function (items, i) { if (at[i] < items.length) heads.push(i); });
      if (!heads.length) return Promise.resolve(out);
      return Promise.all(heads.map(function (i) { return load(lists[i][at[i]]); })).then(function (datas) {
        var best = 0;
        for (var k = 1; k < heads.length; k++) if (newer(datas[k], datas[best])) best = k;
        at[heads[best]]++;
        out.push(datas[best]);
        return step(n, out);
      });
    }
    return {
      total: lists.reduce(function (sum, items) { return sum + items.length; }, 0),
      next: function (n) {
        var done = queue.then(function () { return step(n, []); });
        queue = done.catch(function () {});
        return done;
      }
    };
  }

  /* The sources of `groups` one after the other, each opened (searched) only
     when the ones before it are used up: shards of one year hold only that
     year's posts, so the years' sources, newest year first, are in date order. */
  function chainedSource(total, groups, open) {
    var at = 0;
    var current = null;
    var queue = Promise.resolve();
    function fill(n, out) {
      if (out.length >= n) return Promise.resolve(out);
      if (!current) {
        if (at >= groups.length) return Promise.resolve(out);
        return open(groups[at++]).then(function (src) {
          if (!src) throw new Error("search superseded");
          current = src;
          return fill(n, out);
        });
      }
      var wanted = n - out.length;
      return current.next(wanted).then(function (items) {
        if (items.length < wanted) current = null;
        return fill(n, out.concat(items));
      });
    }
    return {
      total: total,
      next: function (n) {
        var done = queue.then(function () { return fill(n, []); });
        queue = done.catch(function () {});
        return done;
      }
    };
  }

  function showMore() {
    var mine = generation;
    if (!source) return Promise.resolve();
    setState("busy");
    return source.next(PAGE).then(function (items) {
      if (mine !== generation) return;
      items.forEach(function (data) { list.appendChild(resultItem(data)); });
      shown += items.length;
      more.hidden = shown >= source.total;
      setState("done");
    });
  }

  function wrap(search) {
    return search.results.map(function (r) { return { result: r, data: null }; });
  }

  /* The query's words as Pagefind splits them (Intl.Segmenter, words only). */
  function queryWords(q) {
    if (/^\s*".+"\s*$/.test(q)) return [];  // an exact phrase: Pagefind matches it whole
    if (typeof Intl === "undefined" || !Intl.Segmenter) return q.toLowerCase().split(/\s+/).filter(Boolean);
    var words = [];
    Array.from(new Intl.Segmenter("zh-CN", { granularity: "word" }).segment(q.toLowerCase())).forEach(function (s) {
      if (s.isWordLike && words.indexOf(s.segment) < 0) words.push(s.segment);
    });
    return words;
  }

  /* Pagefind ignores a query word that no word of an index starts with, and
     each shard is an index of its own: in a shard without the word its pages
     would match on the other words alone ("党史" is 党 + 史: every post with
     党 in a shard without 史). As with one index for the whole site, a word
     found in no shard is ignored and every other word must be in the page:
     so the shards that lack a word found elsewhere are left out. Each word is
     searched on its own with a filter no page has: no results to pass around,
     but totalFilters.shard counts its pages in every shard. Resolves to the
     keys of the shards to search, true for all of them, or null when a search
     was superseded. */
  var NO_SHARD = "-";
  function shardsFor(q) {
    var words = queryWords(q);
    if (words.length < 2) return Promise.resolve(true);
    return Promise.all(words.map(function (word) {
      return pagefind.search(word, { filters: { shard: NO_SHARD } });
    })).then(function (found) {
      if (found.some(function (s) { return !s; })) return null;
      var counts = [];
      for (var i = 0; i < found.length; i++) {
        var perShard = found[i].totalFilters && found[i].totalFilters.shard;
        if (!perShard) return true;  // not as expected: leave it to Pagefind
        if (Object.keys(perShard).some(function (key) { return perShard[key] > 0; })) counts.push(perShard);
      }
      var keys = shards.filter(function (shard) {
        return counts.every(function (perShard) { return perShard[shard.key] > 0; });
      }).map(function (shard) { return shard.key; });
      return keys.length === shards.length ? true : keys;
    });
  }

  /* The chosen filters, restricted to the shards `allowed` (true: all). */
  function within(chosen, allowed) {
    var filters = {};
    Object.keys(chosen).forEach(function (key) { filters[key] = chosen[key]; });
    if (allowed !== true) filters.shard = { any: allowed };
    return filters;
  }

  /* Each shard's index weighs a word by how rare it is in that shard (one
     unit's posts of a year), so a unit's own name (in every one of its posts'
     terms) weighs next to nothing there and its posts sink below other units'
     posts that mention it. So
     when the query names units (every word of it in the unit's name, and not
     every unit), their posts, searched on their own, come first. */
  function searchByRelevance(q, chosen) {
    return shardsFor(q).then(function (allowed) {
      if (allowed === null) return null;
      if (allowed !== true && !allowed.length) return [];
      return searchShards(q, chosen, allowed);
    });
  }

  function searchShards(q, chosen, allowed) {
    var parts = q.toLowerCase().split(/\s+/).filter(Boolean);
    var named = chosen.unit ? [] : unitNames.filter(function (name) {
      name = name.toLowerCase();
      return parts.every(function (p) { return name.indexOf(p) >= 0; });
    });
    if (named.length >= unitNames.length) named = [];
    var searches = [pagefind.search(q, { filters: within(chosen, allowed) })].concat(named.map(function (name) {
      var filters = within(chosen, allowed);
      filters.unit = name;
      return pagefind.search(q, { filters: filters });
    }));
    return Promise.all(searches).then(function (found) {
      if (found.some(function (s) { return !s; })) return null;
      var first = [].concat.apply([], found.slice(1).map(function (s) { return s.results; }));
      first.sort(function (a, b) { return b.score - a.score; });
      var seen = {};
      first.forEach(function (r) { seen[r.id] = true; });
      var rest = found[0].results.filter(function (r) { return !seen[r.id]; });
      return first.concat(rest).map(function (r) { return { result: r, data: null }; });
    });
  }

  /* The shards of `pool` that are `allowed` (true: all), grouped by year,
     newest first (shards without a year last). */
  function yearGroups(allowed, pool) {
    var byYear = {};
    var years = [];
    pool.forEach(function (shard) {
      if (allowed !== true && allowed.indexOf(shard.key) < 0) return;
      if (!byYear[shard.year]) { byYear[shard.year] = []; years.push(shard.year); }
      byYear[shard.year].push(shard);
    });
    years.sort(function (a, b) {
      var na = /^\d+$/.test(a) ? Number(a) : -1, nb = /^\d+$/.test(b) ? Number(b) : -1;
      return nb - na;
    });
    return years.map(function (year) { return { year: year, shards: byYear[year] }; });
  }

  /* Newest first: one merged search gives the total and the years with
     results; then a year's shards are searched one by one (newest year first,
     the next year only when the list reaches it) and merged by date. */
  function searchByDate(q, chosen, pool) {
    return (q ? shardsFor(q) : Promise.resolve(true)).then(function (allowed) {
      if (allowed === null) return null;
      if (allowed !== true && !allowed.length) return listSource([]);
      return pagefind.search(q || null, { filters: within(chosen, allowed) }).then(function (all) {
        if (!all) return null;
        return all.results.length ? searchYears(q, chosen, allowed, all, pool) : listSource([]);
      });
    });
  }

  function searchYears(q, chosen, allowed, all, pool) {
    // The year counts are there when Pagefind has loaded the year filter
    // (it loads a filter's files only when a search uses it).
    var counts = all.filters && all.filters.year;
    if (counts && !Object.keys(counts).length) counts = null;
    var groups = yearGroups(allowed, pool).filter(function (group) {
      if (!/^\d+$/.test(group.year)) return true;
      if (chosen.year) return chosen.year === group.year;
      return !counts || counts[group.year] > 0;
    });
    return chainedSource(all.results.length, groups, function (group) {
      return Promise.all(group.shards.map(function (shard) {
        var filters = within(chosen, true);
        filters.shard = shard.key;
        return pagefind.search(q || null, { filters: filters, sort: { date: "desc" } });
      })).then(function (searches) {
        if (searches.some(function (s) { return !s; })) return null;
        return mergedSource(searches.map(wrap));
      });
    });
  }

  function run() {
    if (!pagefind) return;
    clearTimeout(timer);
    var mine = ++generation;
    var q = input.value.trim();
    var chosen = chosenFilters();
    remember(q, chosen);
    list.textContent = "";
    more.hidden = true;
    source = null;
    shown = 0;
    if (!q && !Object.keys(chosen).length) {
      setState("done", "请输入关键词，或选择筛选条件。");
      return;
    }
    setState("busy", "正在搜索…");
    var byDate = !q || (sortSelect && sortSelect.value === "date");
    var pool = queryWords(q).length >= 2 ? shards : poolFor(chosen);
    var found = ensure(pool).then(function () {
      if (mine !== generation) return null;
      return byDate ? searchByDate(q, chosen, pool) : searchByRelevance(q, chosen).then(function (items) {
        if (mine !== generation || !items) return null;
        return rerank(items, q).then(listSource);
      });
    });
    found.then(function (src) {
      if (mine !== generation || !src) return;
      source = src;
      var where = q ? "与“" + q + "”相关的" : "符合条件的";
      setState("busy", src.total ? "找到 " + src.total + " 篇" + where + "文章。" : "没有找到" + where + "文章。请换个关键词，或减少筛选条件。");
      return showMore();
    }).catch(function () {
      if (mine === generation) setState("error", "搜索出错了，请刷新页面再试。");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  input.addEventListener("input", function () {
    if (pagefind) ensure(poolFor(chosenFilters())).catch(function () {});  // start loading now, not after the pause
    generation++;
    setState("busy");
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  moreButton.addEventListener("click", function () {
    var mine = generation;
    showMore().catch(function () {
      if (mine === generation) setState("error", "搜索出错了，请刷新页面再试。");
    });
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  setState("busy", "正在加载搜索索引…");
  function indexPath(shard) {
    return new URL(root + "pagefind/" + encodeURIComponent(shard.unit) + "/" + encodeURIComponent(shard.year) + "/", location.href).pathname;
  }
  function shardOptions(shard) {
    return { baseUrl: "/", excerptLength: 40, mergeFilter: { shard: shard.key } };
  }

  /* The shards with posts that have every `chosen` filter value (the manifest
     counts them): the others hold no result of a search with those filters. */
  function poolFor(chosen) {
    return shards.filter(function (shard) {
      return Object.keys(chosen).every(function (key) {
        var counts = shard.filters[key];
        return !!counts && counts[chosen[key]] > 0;
      });
    });
  }

  /* The shards of `pool` merged into the loaded index (the first shard is
     Pagefind's own, loaded by its first search). Each is merged once. */
  function ensure(pool) {
    return Promise.all(pool.map(function (shard) {
      if (!merged[shard.key]) {
        merged[shard.key] = pagefind.mergeIndex(indexPath(shard), shardOptions(shard)).catch(function (e) {
          delete merged[shard.key];  // the next search tries again
          throw e;
        });
      }
      return merged[shard.key];
    }));
  }
  fetch(new URL(root + "pagefind/units.json", location.href).href)
    .then(function (response) {
      if (!response.ok) throw new Error("units.json: " + response.status);
      return response.json();
    })
    .then(function (manifest) {
      shards = ((manifest && manifest.shards) || []).map(function (s) {
        return { unit: String(s.unit), year: String(s.year), key: s.unit + "/" + s.year, filters: s.filters || {} };
      });
      if (!shards.length) {
        setState("done", "本站还没有可以搜索的文章。");
        return;
      }
      var filters = manifest.filters || {};
      return import(new URL(indexPath(shards[0]) + "pagefind.js", location.href).href).then(function (pf) {
        return pf.options(shardOptions(shards[0])).then(function () {
          pagefind = pf;
          merged[shards[0].key] = Promise.resolve();  // Pagefind's own index
          unitNames = sortedValues("unit", filters.unit || {});
          buildFilters(filters, params);
          run();
        });
      });
    })
    .catch(function () {
      setState("error", "搜索索引加载失败。请通过网站地址（http:// 或 https://）访问本页；直接双击打开本地文件时，浏览器不允许加载搜索索引。");
    });
})();
