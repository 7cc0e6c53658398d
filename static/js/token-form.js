// The fine-grained token form: show the repositories and permissions that fit the chosen
// resource owner, the repository picker for "Only select repositories", and the
// justification when the owner requires approval. The form's data- attributes carry the
// signed-in user (data-me) and, when editing, the token's fixed owner.
(function () {
  var form = document.getElementById("token-form");
  if (!form) { return; }
  var me = form.dataset.me;
  var fixedOwner = form.dataset.fixedOwner || "";
  var ownerIsOrg = form.dataset.ownerIsOrg === "true";
  // Expires in: only what the chosen owner's maximum lifetime allows (behaviour §3); the
  // server refuses anything else, so this only spares the holder a refused form.
  function boundExpiration(chosen) {
    var select = form.querySelector("select[name=expiration]");
    if (!select || !chosen) { return; }
    var fieldset = select.closest("fieldset");
    var days = chosen.dataset.lifetimeDays ? parseInt(chosen.dataset.lifetimeDays, 10) : null;
    var largest = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var value = option.value;
      var allowed = days === null || value === "custom" || (value !== "none" && parseInt(value, 10) <= days);
      option.hidden = !allowed;
      option.disabled = !allowed;
      if (allowed && /^[0-9]+$/.test(value)) { largest = option; }
    });
    if (select.selectedOptions[0] && select.selectedOptions[0].disabled) {
      select.value = largest ? largest.value : "custom";
    }
    var max = days === null ? fieldset.dataset.unlimitedDays : String(days);
    var custom = form.querySelector("input[name=custom_days]");
    custom.max = max;
    fieldset.querySelector(".max-days").textContent = max;
    var help = document.getElementById(custom.id + "_helptext");
    if (help) { help.textContent = "1 to " + max + " days."; }
    var limit = document.getElementById("lifetime-limit");
    limit.hidden = days === null;
    limit.textContent = days === null ? "" : chosen.dataset.lifetimeSentence + ", so \u201cNo expiration\u201d is not offered.";
  }
  function refresh() {
    var chosen = form.querySelector("input[name=resource_owner]:checked");
    var login = chosen ? chosen.value : fixedOwner;
    var isOrg = chosen ? chosen.value !== me : ownerIsOrg;
    // Another owner's repository is hidden and disabled, so it is neither seen nor sent.
    form.querySelectorAll("[data-owner]").forEach(function (row) {
      var other = row.dataset.owner !== login;
      row.hidden = other;
      row.querySelectorAll("input").forEach(function (box) {
        box.disabled = other;
        if (other) { box.checked = false; }
      });
    });
    var empty = document.getElementById("repository-picker-empty");
    if (empty) { empty.hidden = form.querySelector("[data-owner]:not([hidden])") !== null; }
    form.querySelectorAll(".permission-group").forEach(function (group) {
      group.hidden = (group.dataset.kind === "organization" && !isOrg) || (group.dataset.kind === "account" && isOrg);
    });
    var access = form.querySelector("input[name=repository_access]:checked");
    document.getElementById("repository-picker").hidden = !access || access.value !== "selected";
    var justification = document.getElementById("justification");
    justification.hidden = chosen ? chosen.dataset.outcome !== "approval_required" : !ownerIsOrg;
    boundExpiration(chosen);
  }
  form.addEventListener("change", refresh);
  refresh();
})();
