// A button with data-copy-target="ID" copies that element's text, and says so in data-copy-status="ID".
document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
  button.addEventListener("click", function () {
    var text = document.getElementById(button.dataset.copyTarget).textContent;
    var status = document.getElementById(button.dataset.copyStatus);
    navigator.clipboard.writeText(text).then(
      function () { status.textContent = "Copied."; },
      function () { status.textContent = "Select the token and copy it."; }
    );
  });
});
