// The hall overview refreshes its figures in place every REFRESH_MS: the
// server renders the part (escaped by Jinja) and this swaps it in.
(function () {
  "use strict";
  var REFRESH_MS = 10000;
  var box = document.getElementById("overview");
  if (!box) { return; }
  function refresh() {
    fetch(box.dataset.part, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* the hub restarts: try again at the next tick */ });
  }
  window.setInterval(refresh, REFRESH_MS);
}());
