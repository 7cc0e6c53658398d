// Classic scopes as GitHub ticks them: a ticked scope ticks and locks the scopes it
// includes (rows whose data-parent chain reaches it); unticking it releases them.
// Without JavaScript the server reads a ticked parent as including its children.
(function () {
  var form = document.getElementById("classic-token-form");
  if (!form) { return; }
  var rows = {};
  form.querySelectorAll("[data-scope]").forEach(function (row) { rows[row.dataset.scope] = row; });
  function box(scope) { return rows[scope].querySelector("input[type=checkbox]"); }
  function ancestorTicked(scope) {
    var parent = rows[scope].dataset.parent;
    while (parent) {
      if (box(parent).checked && !box(parent).disabled) { return true; }
      parent = rows[parent].dataset.parent;
    }
    return false;
  }
  function refresh() {
    Object.keys(rows).forEach(function (scope) {
      var input = box(scope);
      if (ancestorTicked(scope)) {
        if (!input.disabled) { input.dataset.wasChecked = input.checked ? "true" : "false"; }
        input.checked = true;
        input.disabled = true;
        rows[scope].classList.add("implied");
      } else if (input.disabled) {
        input.disabled = false;
        input.checked = input.dataset.wasChecked === "true";
        rows[scope].classList.remove("implied");
      }
    });
  }
  form.addEventListener("change", refresh);
  refresh();
})();
