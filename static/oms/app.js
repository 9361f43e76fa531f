// Shows Django messages as Bootstrap toasts, on page load and after htmx swaps.
(function () {
  function showToasts(root) {
    (root || document).querySelectorAll("#toasts .toast:not(.showing):not(.show):not([data-shown])").forEach(function (element) {
      element.setAttribute("data-shown", "1");
      bootstrap.Toast.getOrCreateInstance(element, { delay: 5000 }).show();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  document.addEventListener("htmx:afterSettle", function () { showToasts(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { showToasts(document); });
  // A confirmation for destructive htmx actions uses hx-confirm; plain forms use data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
