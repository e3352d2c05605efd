// Citations checked in place. A marker ([n], a source reference, a footnote number) links to its
// entry in the page's numbered source list or to its footnote; without this script that link
// jumps there. With it, the entry opens beside the marker on hover, keyboard focus and tap, so the
// reader never loses the place. Enter or Space moves focus into it (its links can then be
// followed), Escape closes it and focus returns to the marker.
(function () {
  "use strict";
  var MARKERS = "sup.cite a,a.ref,sup.footnote-ref a";
  var pop = null, owner = null, sticky = false, timer = 0, quiet = null;

  function marker(el) {
    var a = el && el.closest ? el.closest(MARKERS) : null;
    var h = a && a.getAttribute("href");
    return h && h.charAt(0) === "#" && document.getElementById(decodeURIComponent(h.slice(1))) ? a : null;
  }

  function inside(el) {
    return pop && el && pop.contains(el);
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
    var r = owner.getBoundingClientRect();
    var w = document.documentElement.clientWidth, h = innerHeight;
    var pw = pop.offsetWidth, ph = pop.offsetHeight;
    var y = r.bottom + 6;
    if (y + ph > h && r.top - ph - 6 >= 0) y = r.top - ph - 6;
    pop.style.left = Math.max(8, Math.min(r.left + r.width / 2 - pw / 2, w - pw - 8)) + "px";
    pop.style.top = y + "px";
  }

  function open(a, hold) {
    clearTimeout(timer);
    if (owner !== a) {
      close();
      var entry = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
      var note = entry.tagName !== "LI";
      pop = document.createElement("div");
      pop.className = "cite-pop";
      pop.id = "cite-pop";
      pop.setAttribute("role", "dialog");
      pop.setAttribute("aria-label", (note ? "Footnote " : "Source ") + a.textContent.replace(/[[\]]/g, ""));
      pop.tabIndex = -1;
      var copy = entry.cloneNode(true);
      var label = copy.querySelector(".footnote-label");
      if (label) label.remove();
      var ids = copy.querySelectorAll("[id]");
      for (var i = 0; i < ids.length; i++) ids[i].removeAttribute("id");
      while (copy.firstChild) pop.appendChild(copy.firstChild);
      // Right after the marker, so Tab goes from the marker into the popover and on into the text.
      var at = a.parentNode.tagName === "SUP" ? a.parentNode : a;
      at.parentNode.insertBefore(pop, at.nextSibling);
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

  function later() {
    clearTimeout(timer);
    if (pop && !sticky) timer = setTimeout(close, 300);
  }

  document.addEventListener("mouseover", function (e) {
    var a = marker(e.target);
    if (a) open(a);
    else if (inside(e.target)) clearTimeout(timer);
  });
  document.addEventListener("mouseout", function (e) {
    if (marker(e.target) === owner || inside(e.target)) later();
  });
  document.addEventListener("focusin", function (e) {
    var a = marker(e.target);
    if (a && a !== quiet) open(a);
    else if (!inside(e.target) && e.target !== owner) close();
    quiet = null;
  });
  document.addEventListener("click", function (e) {
    var a = marker(e.target);
    if (a) {
      e.preventDefault();
      // A second tap or click on the marker closes what the first opened.
      if (a === owner && sticky) close();
      else open(a, true);
    } else if (pop && !inside(e.target)) close();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && pop) {
      e.preventDefault();
      close(document.activeElement === owner || inside(document.activeElement));
    } else if (e.key === " " && marker(e.target)) {
      e.preventDefault();
      open(marker(e.target), true);
    }
  });
  addEventListener("scroll", place, { passive: true });
  addEventListener("resize", place);
})();
