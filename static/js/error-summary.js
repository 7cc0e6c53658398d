// A failed form opens at its error summary (role="alert"): focus moves there, and each
// link in it moves focus to the field it names.
(function () {
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.querySelectorAll("a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var target = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
      (target || field).scrollIntoView({ block: "center" });
      (target || field).focus();
    });
  });
})();
