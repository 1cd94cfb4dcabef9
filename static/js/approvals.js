// Approvals page: "select all" ticks every request on the page in place (without scripts the
// link reloads the page with every box ticked), and the bulk button says how many are ticked.
// The page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("bulk-recommend");
  if (!form) return;
  var link = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][form="bulk-recommend"]'));

  function ticked() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function refresh() {
    var n = ticked();
    var all = n === boxes.length && n > 0;
    if (link) link.textContent = all ? link.getAttribute("data-label-none") : link.getAttribute("data-label-all");
    if (count) count.textContent = n ? (form.getAttribute("data-count-label") || "").replace("__COUNT__", String(n)) : "";
  }

  if (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var all = ticked() === boxes.length;
      boxes.forEach(function (box) { box.checked = !all; });
      refresh();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", refresh); });
  // A second press while the first submit is on its way sends nothing more (the server would
  // answer "already recommended" anyway).
  form.addEventListener("submit", function () {
    var button = form.querySelector('button[type="submit"]');
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });
  refresh();
})();
