// A box that scrolls sideways (a wide table on a narrow screen) must be reachable with the
// keyboard to be scrolled: such boxes get tabindex="0" while they overflow (static/patrol.css).
(function () {
  "use strict";
  function update() {
    document.querySelectorAll("main *").forEach(function (element) {
      var overflow = getComputedStyle(element).overflowX;
      var scrolls = (overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth;
      if (scrolls && !element.hasAttribute("tabindex")) {
        element.setAttribute("tabindex", "0");
        element.setAttribute("data-scroll-region", "");
      } else if (!scrolls && element.hasAttribute("data-scroll-region")) {
        element.removeAttribute("tabindex");
        element.removeAttribute("data-scroll-region");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 100);
  });
})();
