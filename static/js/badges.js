/* Badges: "copy link" and "print" buttons. Progressive enhancement: without JavaScript the
   buttons stay hidden, the link stays selectable and the browser's own print works. */
(function () {
  "use strict";
  document.querySelectorAll(".js-copy").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    if (!source || !navigator.clipboard) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        source.focus();
        source.select();
      });
    });
  });
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
