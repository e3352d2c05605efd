// Search on /search/. The index (src/search.rs) is a small manifest, term shards and chunks of
// titles and summaries: a query fetches the manifest, one or two shards per word and the chunks
// of the results it shows, never the whole index. Without JavaScript the page lists every topic.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list) return;
  var base = form.getAttribute("data-index");
  var original = list.innerHTML;
  var originalStatus = status ? status.textContent : "";
  var PAGE = 20;
  // The page's messages in its language (layouts/i18n, rendered by search.html); English where a
  // site's own search.html does not give them. A counted one maps plural categories to texts.
  var messages = {
    more: "More results",
    none: "No results for “{q}”.",
    results: { one: "{n} result for “{q}”.", other: "{n} results for “{q}”." },
    partial: { other: "{n} results for “{q}”, the {shown} best shown." },
    unavailable: "Search is unavailable; browse the topics below."
  };
  try {
    var given = JSON.parse(form.getAttribute("data-messages") || "{}");
    for (var m in given) if (Object.prototype.hasOwnProperty.call(given, m)) messages[m] = given[m];
  } catch (e) { /* keep the English ones */ }
  // As ENDING_CHARS and MIN_STEM_CHARS in src/search.rs.
  var STEM_ENDING = 4, MIN_STEM = 3;
  var cache = {};
  var manifest = null;
  var seq = 0;
  var timer = 0;
  var more = document.createElement("button");
  more.type = "button";
  more.className = "more-results";
  more.textContent = messages.more;
  more.hidden = true;
  list.parentNode.insertBefore(more, list.nextSibling);
  var lang = document.documentElement.lang || undefined;
  var plurals = null;
  try { plurals = new Intl.PluralRules(lang); } catch (e) { plurals = null; }
  // A message with its {name} placeholders filled; `n` also picks the plural form.
  function say(message, args) {
    var text = message;
    if (message && typeof message === "object") {
      var category = plurals && args.n !== undefined ? plurals.select(args.n) : "other";
      text = message[category] || message.other || "";
    }
    return String(text).replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
    });
  }
  var segmenter = null;
  try {
    if (typeof Intl !== "undefined" && Intl.Segmenter) segmenter = new Intl.Segmenter(lang, { granularity: "word" });
  } catch (e) { segmenter = null; }

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

  // Postings: numbers 5 bits a character, lowest first; the sixth bit says another follows.
  var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  var VALUE = {};
  for (var d = 0; d < DIGITS.length; d++) VALUE[DIGITS.charAt(d)] = d;
  function numbers(text) {
    var out = [], n = 0, mul = 1;
    for (var i = 0; i < text.length; i++) {
      var v = VALUE[text.charAt(i)];
      if (v === undefined) break;
      n += (v & 31) * mul;
      if (v & 32) { mul *= 32; } else { out.push(n); n = 0; mul = 1; }
    }
    return out;
  }

  // The same folding as the index: lower case, canonical decomposition, no combining diacritics.
  function fold(w) { return w.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }

  function words(q) {
    var out = [];
    if (segmenter) {
      var it = segmenter.segment(q)[Symbol.iterator](), s;
      // A segment is a word by its characters, as in src/search.rs (segmenters differ on words
      // ending in a combining vowel sign).
      while (!(s = it.next()).done) if (/[\p{Alphabetic}\p{N}]/u.test(s.value.segment)) out.push(s.value.segment);
    } else {
      out = q.split(/[^\p{L}\p{N}\p{M}]+/u);
    }
    var seen = {}, folded = [];
    out.forEach(function (w) { w = fold(w); if (w && !has(seen, w)) { seen[w] = 1; folded.push(w); } });
    return folded;
  }

  function get(path) {
    var url = base + path + (manifest ? "?v=" + manifest.v : "");
    if (!cache[url]) {
      cache[url] = fetch(url, path === "manifest.json" ? { cache: "no-cache" } : {})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .catch(function (e) { delete cache[url]; throw e; });
    }
    return cache[url];
  }

  function load() {
    if (manifest) return Promise.resolve(manifest);
    return get("manifest.json").then(function (m) { manifest = m; return m; });
  }

  // The shards that can hold `word` (and, for a prefix, the words after it): the last shard whose
  // first word is not after it, and the next one when that one starts with the prefix too.
  function shardsFor(word, prefix) {
    var t = manifest.terms, lo = 0, hi = t.length - 1, at = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (t[mid] <= word) { at = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    var out = t.length ? [at] : [];
    if (prefix && at + 1 < t.length && t[at + 1].lastIndexOf(word, 0) === 0) out.push(at + 1);
    return out;
  }

  // Doc → score for one query word: its stem's postings; for the word being typed, also those of
  // the words it begins (weighted less than the word itself).
  function match(word, prefix) {
    return Promise.all(shardsFor(word, prefix).map(function (n) { return get("t/" + n + ".json"); }))
      .then(function (shards) {
        var scores = new Map();
        function add(text, factor) {
          var p = numbers(text), doc = 0;
          for (var j = 0; j + 1 < p.length; j += 2) {
            doc += p[j];
            var s = p[j + 1] * factor, old = scores.get(doc);
            if (old === undefined || s > old) scores.set(doc, s);
          }
        }
        shards.forEach(function (sh) {
          var used = {};
          if (has(sh.w, word)) {
            used[sh.w[word]] = 1;
            add(sh.p[sh.w[word]], 1);
          } else if (sh.s) {
            // A form the text never uses: the longest stem the word begins with.
            for (var len = word.length - 1; len >= Math.max(MIN_STEM, word.length - STEM_ENDING); len--) {
              var stem = word.slice(0, len);
              if (has(sh.s, stem)) { used[sh.s[stem]] = 1; add(sh.p[sh.s[stem]], 1); break; }
            }
          }
          if (!prefix) return;
          for (var k in sh.w) {
            if (has(sh.w, k) && k.lastIndexOf(word, 0) === 0 && !has(used, sh.w[k])) {
              used[sh.w[k]] = 1;
              add(sh.p[sh.w[k]], 0.6);
            }
          }
        });
        return scores;
      });
  }

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }

  function show(id, hits, from, q) {
    var page = hits.slice(from, from + PAGE);
    var chunk = manifest.chunk;
    var need = {};
    page.forEach(function (h) { need[Math.floor(h[0] / chunk)] = 1; });
    return Promise.all(Object.keys(need).map(function (c) {
      return get("d/" + c + ".json").then(function (rows) { need[c] = rows; });
    })).then(function () {
      if (id !== seq) return;
      if (from === 0) list.textContent = "";
      page.forEach(function (h) {
        var row = need[Math.floor(h[0] / chunk)][h[0] % chunk];
        if (!row) return;
        var li = el("li");
        var a = el("a", row[1]);
        a.href = row[0];
        li.appendChild(a);
        if (row[2]) li.appendChild(el("p", row[2]));
        list.appendChild(li);
      });
      var shown = Math.min(hits.length, from + PAGE);
      more.hidden = shown >= hits.length;
      more.onclick = function () { more.hidden = true; show(id, hits, shown, q); };
      if (status) {
        var args = { n: hits.length, q: q, shown: shown };
        status.textContent = hits.length === 0 ? say(messages.none, args) :
          say(shown < hits.length ? messages.partial : messages.results, args);
      }
    });
  }

  function run() {
    var raw = input.value;
    var q = raw.trim();
    var id = ++seq;
    var terms = words(q);
    if (!terms.length) {
      list.innerHTML = original;
      more.hidden = true;
      if (status) status.textContent = originalStatus;
      return;
    }
    // The last word is still being typed unless a space follows it.
    var typing = !/\s$/.test(raw);
    load().then(function () {
      return Promise.all(terms.map(function (t, i) {
        return match(t, typing && i === terms.length - 1 && t.length >= 2);
      }));
    }).then(function (maps) {
      if (id !== seq) return;
      maps.sort(function (a, b) { return a.size - b.size; });
      var hits = [];
      maps[0].forEach(function (s, doc) {
        var total = s;
        for (var i = 1; i < maps.length; i++) {
          var o = maps[i].get(doc);
          if (o === undefined) return;
          total += o;
        }
        hits.push([doc, total]);
      });
      hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
      return show(id, hits, 0, q);
    }).catch(function () {
      if (id !== seq) return;
      if (status) status.textContent = say(messages.unavailable, {});
      list.innerHTML = original;
      more.hidden = true;
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(); }
})();
