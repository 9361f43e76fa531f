// Shows Django messages as Bootstrap toasts, on page load and after htmx swaps.
(function () {
  function showToasts(root) {
    (root || document).querySelectorAll("#toasts .toast:not(.showing):not(.show):not([data-shown])").forEach(function (element) {
      element.setAttribute("data-shown", "1");
      bootstrap.Toast.getOrCreateInstance(element, { delay: 5000 }).show();
    });
  }
  // A table wider than its box scrolls; keyboard users must be able to focus it to scroll it (WCAG
  // 2.1.1). Only such tables get a tab stop, so that the others add none to a keyboard-driven form.
  function markScrollingTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markScrollingTables, 150);
  });
  document.addEventListener("DOMContentLoaded", function () { showToasts(document); markScrollingTables(); });
  document.addEventListener("htmx:afterSettle", function () { showToasts(document); markScrollingTables(); });
  document.addEventListener("htmx:oobAfterSwap", function () { showToasts(document); });
  // A request the server refused as bad input (a control character in a field: oms/text.py)
  // answers 400 with an "oms:bad-input" event; htmx swaps nothing on a 400, so say it in a toast.
  document.addEventListener("oms:bad-input", function (event) {
    var container = document.getElementById("toasts");
    if (!container || !event.detail || !event.detail.message) { return; }
    var toast = document.createElement("div");
    toast.className = "toast align-items-center border-0 text-bg-danger";
    toast.setAttribute("role", "alert");
    toast.setAttribute("data-bs-autohide", "true");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = event.detail.message;
    toast.appendChild(body);
    container.appendChild(toast);
    showToasts(document);
  });
  // A confirmation for destructive htmx actions uses hx-confirm; plain forms use data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
