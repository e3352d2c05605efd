// Filters the server-rendered topic list on /search/ as the user types.
// Without JavaScript the page still lists every topic.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list) return;
  var original = list.innerHTML;
  var originalStatus = status ? status.textContent : "";
  var index = null;
  var timer = 0;

  function norm(s) {
    return String(s || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function load() {
    if (index) return Promise.resolve(index);
    return fetch(form.getAttribute("data-index"))
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        index = data.map(function (d) {
          var tags = (d.tags || []).map(function (t) { return typeof t === "string" ? t : t.name; });
          return { d: d, title: norm(d.title), hay: norm([d.title, d.summary, tags.join(" "), d.text].join(" ")) };
        });
        return index;
      });
  }

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }

  function snippet(text, term) {
    text = String(text || "");
    var i = norm(text).indexOf(term);
    if (i < 0) return "";
    var start = Math.max(0, i - 60);
    return (start > 0 ? "… " : "") + text.slice(start, i + 100).trim() + " …";
  }

  function run() {
    var q = norm(input.value).trim();
    if (!q) {
      list.innerHTML = original;
      if (status) status.textContent = originalStatus;
      return;
    }
    var terms = q.split(/\s+/);
    load().then(function (idx) {
      var hits = idx.filter(function (e) {
        return terms.every(function (t) { return e.hay.indexOf(t) >= 0; });
      }).sort(function (a, b) {
        return (b.title.indexOf(terms[0]) >= 0) - (a.title.indexOf(terms[0]) >= 0);
      });
      list.textContent = "";
      hits.forEach(function (h) {
        var li = el("li");
        var a = el("a", h.d.title);
        a.href = h.d.url;
        li.appendChild(a);
        var s = h.d.summary || snippet(h.d.text, terms[0]);
        if (s) li.appendChild(el("p", s));
        list.appendChild(li);
      });
      if (status) status.textContent = hits.length + (hits.length === 1 ? " result" : " results") + " for “" + input.value.trim() + "”.";
    }).catch(function () {
      if (status) status.textContent = "Search is unavailable; browse the topics below.";
      list.innerHTML = original;
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
