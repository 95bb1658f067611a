// D73 portal: a few lines of plain JavaScript; every page works without it.
// A form whose button says data-confirm asks first (withdrawing, deciding).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
// After a refused form, move the keyboard focus to the message so screen readers read it.
document.addEventListener("DOMContentLoaded", function () {
  var alert = document.querySelector(".alert.error");
  if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
});
// The bell: how many notifications wait unread (the link works without it).
document.addEventListener("DOMContentLoaded", function () {
  var badge = document.querySelector("[data-unread-count]");
  if (!badge || !window.fetch) { return; }
  fetch("/notifications/unread.json", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (body) {
      if (body && body.unread > 0) { badge.textContent = String(body.unread); badge.hidden = false; }
    })
    .catch(function () {});
});
