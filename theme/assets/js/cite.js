// Citations checked in place. A marker ([n], a source reference, a footnote number) links to its
// entry in the page's numbered source list or to its footnote; without this script that link
// jumps there. With it, the entry opens beside the marker on hover, keyboard focus and tap, so the
// reader never loses the place. A source's entry adds the page's quotes taken from it (each
// quote's caption cites it). Enter or Space moves focus into it (its links can then be followed),
// Escape closes it and focus returns to the marker.
(function () {
  "use strict";
  var doc = document;
  var pop = null, owner = null, sticky = false, timer = 0, quiet = null;
  // Words in the page's language, from the script tag (layouts/i18n; base.html writes them).
  var words = document.currentScript.dataset;
  function named(k, n) { return (words[k] || k).replace("{n}", n); }

  function make(tag, cls) {
    var el = doc.createElement(tag);
    el.className = cls;
    return el;
  }

  // What a marker links to on this page, if it is a marker.
  function target(a) {
    var h = a && a.getAttribute("href");
    return h && h[0] === "#" ? doc.getElementById(decodeURIComponent(h.slice(1))) : null;
  }

  function marker(el) {
    var a = el.closest && el.closest("sup.cite a,a.ref,sup.footnote-ref a");
    return target(a) ? a : null;
  }

  function inside(el) {
    return pop && pop.contains(el);
  }

  function close(refocus) {
    clearTimeout(timer);
    if (!pop) return;
    var a = owner;
    pop.remove();
    a.setAttribute("aria-expanded", "false");
    a.removeAttribute("aria-controls");
    pop = owner = null;
    if (refocus) {
      quiet = a;
      a.focus();
    }
  }

  // Keeps the popover under the marker (above it when there is no room below), inside the
  // viewport at any width.
  function place() {
    if (!pop) return;
    var r = owner.getBoundingClientRect(), pw = pop.offsetWidth, ph = pop.offsetHeight;
    var y = r.bottom + 6;
    if (y + ph > innerHeight && r.top - ph - 6 >= 0) y = r.top - ph - 6;
    pop.style.left = Math.max(8, Math.min(r.left + r.width / 2 - pw / 2, doc.documentElement.clientWidth - pw - 8)) + "px";
    pop.style.top = y + "px";
  }

  function open(a, hold) {
    clearTimeout(timer);
    if (owner !== a) {
      close();
      var entry = target(a), note = entry.tagName !== "LI", href = a.getAttribute("href");
      pop = make("div", "cite-pop");
      pop.id = "cite-pop";
      pop.tabIndex = -1;
      pop.setAttribute("role", "dialog");
      pop.setAttribute("aria-label", named(note ? "footnote" : "source", a.textContent.replace(/[[\]]/g, "")));
      var copy = entry.cloneNode(true), drop = copy.querySelectorAll("[id],.footnote-label"), i;
      for (i = 0; i < drop.length; i++) {
        if (drop[i].matches(".footnote-label")) drop[i].remove();
        else drop[i].removeAttribute("id");
      }
      pop.append.apply(pop, copy.childNodes);
      var refs = note ? [] : doc.querySelectorAll('figure.quote a.ref[href="' + href + '"]');
      for (i = 0; i < refs.length; i++) {
        var fig = refs[i].closest("figure"), said = make("p", "src-quotes"), q = doc.createElement("q");
        q.textContent = fig.querySelector("blockquote").textContent.trim();
        said.append(named("quoted"), q, " (" + fig.querySelector("cite").textContent + ")");
        pop.append(said);
      }
      // Right after the marker, so Tab goes from the marker into the popover and on into the text.
      (a.parentNode.tagName === "SUP" ? a.parentNode : a).after(pop);
      owner = a;
      a.removeAttribute("title");
      a.setAttribute("aria-expanded", "true");
      a.setAttribute("aria-controls", "cite-pop");
      sticky = false;
      place();
    }
    if (hold) {
      sticky = true;
      pop.focus({ preventScroll: true });
    }
  }

  function on(type, f, opts) {
    (type === "scroll" || type === "resize" ? window : doc).addEventListener(type, f, opts);
  }

  on("mouseover", function (e) {
    var a = marker(e.target);
    if (a) open(a);
    else if (inside(e.target)) clearTimeout(timer);
  });
  on("mouseout", function (e) {
    if (pop && !sticky && (marker(e.target) === owner || inside(e.target))) {
      clearTimeout(timer);
      timer = setTimeout(close, 300);
    }
  });
  on("focusin", function (e) {
    var a = marker(e.target);
    if (a && a !== quiet) open(a);
    else if (!inside(e.target) && e.target !== owner) close();
    quiet = null;
  });
  on("click", function (e) {
    var a = marker(e.target);
    if (a) {
      e.preventDefault();
      // A second tap or click on the marker closes what the first opened.
      if (a === owner && sticky) close();
      else open(a, true);
    } else if (pop && !inside(e.target)) close();
  });
  on("keydown", function (e) {
    var a = marker(e.target);
    if (e.key === "Escape" && pop) {
      e.preventDefault();
      close(doc.activeElement === owner || inside(doc.activeElement));
    } else if (e.key === " " && a) {
      e.preventDefault();
      open(a, true);
    }
  });
  on("scroll", place, { passive: true });
  on("resize", place);
})();
