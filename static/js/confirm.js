// Destructive actions confirm (see templates/organizations/confirm.html).
// Without JavaScript, a link or button with data-confirm leads to a confirmation page
// holding the POST form (form.confirm-form). With it, that page is fetched and its form
// is shown in a native <dialog> with Cancel; Escape closes it; focus moves in and back.
(function () {
  "use strict";

  function confirmUrl(trigger, form) {
    if (trigger.tagName === "A") { return trigger.href; }
    // A button's formAction is the page's own URL when it has no formaction attribute.
    var target = trigger.dataset.confirm || (trigger.hasAttribute("formaction") ? trigger.formAction : form.action);
    var url = new URL(target, window.location.href);
    new FormData(form, trigger).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "action") { url.searchParams.append(name, value); }
    });
    return url.href;
  }

  function open(url, trigger) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text().then(function (html) { return [response, html]; }); })
      .then(function (pair) {
        var doc = new DOMParser().parseFromString(pair[1], "text/html");
        var form = doc.querySelector("form.confirm-form");
        if (!form) {
          // A problem (nothing selected, already handled): show the page itself.
          window.location.href = url;
          return;
        }
        var dialog = document.createElement("dialog");
        dialog.className = "confirm-dialog";
        var title = form.querySelector("[id='confirm-title']");
        if (title) { dialog.setAttribute("aria-labelledby", "confirm-title"); }
        dialog.setAttribute("aria-describedby", "confirm-consequence");
        form.removeAttribute("aria-labelledby");
        form.removeAttribute("aria-describedby");
        dialog.appendChild(document.importNode(form, true));
        document.body.appendChild(dialog);
        var close = function () { dialog.close(); };
        dialog.querySelectorAll("[data-confirm-cancel]").forEach(function (cancel) {
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = cancel.textContent;
          button.setAttribute("data-confirm-cancel", "");
          button.addEventListener("click", close);
          cancel.replaceWith(button);
        });
        dialog.addEventListener("close", function () {
          dialog.remove();
          if (trigger && document.contains(trigger)) { trigger.focus(); }
        });
        dialog.addEventListener("click", function (event) {
          if (event.target === dialog) { close(); }  // a click on the backdrop
        });
        dialog.showModal();
        var first = dialog.querySelector("textarea, [data-confirm-cancel]");
        if (first) { first.focus(); }
      })
      .catch(function () { window.location.href = url; });
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("a[data-confirm], button[data-confirm]");
    if (!trigger || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    var form = trigger.form || null;
    if (trigger.tagName === "BUTTON" && !form) { return; }
    if (form && !form.checkValidity()) { return; }
    event.preventDefault();
    open(confirmUrl(trigger, form), trigger);
  });
})();
