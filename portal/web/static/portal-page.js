/* Small behaviours of the portal pages, without inline script (Content-Security-Policy). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
