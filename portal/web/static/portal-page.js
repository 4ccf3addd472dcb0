/* Small behaviours of the portal pages, without inline script (Content-Security-Policy). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // On a phone the main menu starts folded (without script it stays open).
  var nav = document.querySelector(".nav-fold");
  if (nav && window.matchMedia("(max-width: 47.99rem)").matches) { nav.open = false; }
  // Tables reflow on phones (portal.css): each cell says which column it is in.
  document.querySelectorAll("main table").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) { return; }
    var names = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (cell.tagName === "TD" && names[i] && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", names[i]);
        }
      });
    });
    table.classList.add("reflow");
  });
  // A link to a folded section opens it; printing shows every section.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    var fold = el && (el.tagName === "DETAILS" ? el : el.closest("details"));
    if (fold) { fold.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
