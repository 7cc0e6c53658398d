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
  }
  form.addEventListener("change", refresh);
  refresh();
})();
