// A header checkbox with data-select-all="NAME" ticks or clears every checkbox named NAME.
document.querySelectorAll("input[data-select-all]").forEach(function (all) {
  all.addEventListener("change", function () {
    document.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.name === all.dataset.selectAll) { box.checked = all.checked; }
    });
  });
});
