// The job page (templates/admin/staff/backgroundjob/job.html): while the job waits or runs,
// move the progress bar from its status URL every second and a half, and load the page again
// (with its result) once the job has ended. Without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var main = document.querySelector("[data-job-status-url]");
  if (!main || ["queued", "running"].indexOf(main.getAttribute("data-job-state")) < 0) {
    return;
  }
  var bar = main.querySelector("progress");
  var numbers = main.querySelector("[data-job-numbers]");
  function poll() {
    fetch(main.getAttribute("data-job-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        if (!status.active) {
          window.location.reload();
          return;
        }
        if (bar) {
          bar.max = status.total;
          bar.value = status.done;
          bar.textContent = status.done + " / " + status.total;
        }
        if (numbers) {
          numbers.textContent = status.done + " / " + status.total;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // a network hiccup: try again, more slowly
      });
  }
  window.setTimeout(poll, 1500);
})();
