// Keyboard-first search boxes (ARIA comboboxes) for SKUs and customers, and the order entry's
// focus moves. htmx fetches the options; this file only moves the highlight, picks, and focuses.
//
// A combobox is an <input role="combobox" aria-controls="LISTBOX">; its options are
// [role=option] elements with data-value, data-id and data-label. ↓/↑ move the highlight,
// Enter picks the highlighted option (the first by default; if the options are not yet those of
// the text typed, Enter searches at once and picks when they arrive), Esc closes the list.
// Picking sets the input to data-value (data-label with data-pick-label), the element named by
// data-pick-id to data-id, fires "combobox:picked", and focuses data-pick-focus.
(function () {
  "use strict";

  function listbox(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function options(input) {
    var box = listbox(input);
    return box ? Array.prototype.slice.call(box.querySelectorAll("[role=option]:not([aria-disabled=true])")) : [];
  }
  function resultsQuery(input) {
    var box = listbox(input), list = box && box.querySelector("[data-query]");
    return list ? list.getAttribute("data-query") : null;
  }
  function activeIndex(input) {
    return options(input).findIndex(function (option) { return option.classList.contains("active"); });
  }
  function setActive(input, index) {
    var all = options(input);
    all.forEach(function (option, position) {
      option.classList.toggle("active", position === index);
      option.setAttribute("aria-selected", position === index ? "true" : "false");
    });
    if (all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function close(input) {
    var box = listbox(input);
    if (box) { box.innerHTML = ""; }
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function focusTarget(selector) {
    var target = selector && document.querySelector(selector);
    if (target) { target.focus(); if (target.select) { target.select(); } }
  }
  function pick(input, option) {
    if (option.hasAttribute("data-href")) { window.location.href = option.getAttribute("data-href"); return; }
    input.value = input.hasAttribute("data-pick-label") ? option.getAttribute("data-label") : option.getAttribute("data-value");
    var idTarget = input.getAttribute("data-pick-id");
    if (idTarget) {
      var hidden = document.querySelector(idTarget);
      if (hidden) { hidden.value = option.getAttribute("data-id"); }
    }
    input.setAttribute("data-picked", input.value);
    close(input);
    input.dispatchEvent(new CustomEvent("combobox:picked", { bubbles: true, detail: { option: option } }));
    focusTarget(input.getAttribute("data-pick-focus"));
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[role=combobox]")) { return; }
    var all = options(input), index = activeIndex(input);
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault(); setActive(input, Math.min(index + 1, all.length - 1));
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault(); setActive(input, Math.max(index - 1, 0));
    } else if (event.key === "Escape") {
      close(input);
    } else if (event.key === "Enter") {
      var typed = input.value.trim();
      if (!typed) { return; }
      event.preventDefault();
      if (input.getAttribute("data-picked") === input.value) {  // already picked: move on
        focusTarget(input.getAttribute("data-pick-focus"));
      } else if (resultsQuery(input) === typed && all.length) {
        pick(input, all[index >= 0 ? index : 0]);
      } else {
        input.setAttribute("data-pending-pick", "true");
        if (window.htmx) { htmx.trigger(input, "combobox:search"); }
      }
    }
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[role=combobox]")) { return; }
    input.removeAttribute("data-picked");
    input.removeAttribute("data-pending-pick");
    var idTarget = input.getAttribute("data-pick-id");
    if (idTarget && document.querySelector(idTarget)) { document.querySelector(idTarget).value = ""; }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.detail.target;
    if (!box || box.getAttribute("role") !== "listbox") { return; }
    var input = document.querySelector('[aria-controls="' + box.id + '"]');
    if (!input) { return; }
    var all = options(input);
    input.setAttribute("aria-expanded", all.length ? "true" : "false");
    setActive(input, all.length ? 0 : -1);
    if (input.getAttribute("data-pending-pick") && resultsQuery(input) === input.value.trim()) {
      input.removeAttribute("data-pending-pick");
      if (all.length) { pick(input, all[0]); }
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[role=listbox] [role=option]");
    if (!option) { return; }
    event.preventDefault();  // keep the focus in the input
    var input = document.querySelector('[aria-controls="' + option.closest("[role=listbox]").id + '"]');
    if (input && option.getAttribute("aria-disabled") !== "true") { pick(input, option); }
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[role=combobox]")) {
      window.setTimeout(function () { if (document.activeElement !== input) { close(input); } }, 150);
    }
  });

  // Enter in a field with data-enter-focus moves on to that field instead of submitting the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.defaultPrevented) { return; }
    var field = event.target;
    if (!field.closest || !field.closest("[data-enter-guard]")) { return; }
    if (field.tagName === "TEXTAREA" || field.type === "submit" || field.tagName === "BUTTON") { return; }
    event.preventDefault();
    var next = field.getAttribute("data-enter-focus");
    if (next) { focusTarget(next); }
  });

  // The Place-order shortcut: Ctrl+Enter (⌘+Enter) anywhere in a form with data-submit-shortcut.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    var form = document.querySelector("form[data-submit-shortcut]");
    if (!form) { return; }
    event.preventDefault();
    var button = document.querySelector(form.getAttribute("data-submit-shortcut"));
    form.requestSubmit(button || undefined);
  });

  // A form with a submit shortcut is sent once: its submit button is disabled while it goes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-shortcut") || event.defaultPrevented) { return; }
    var button = document.querySelector(form.getAttribute("data-submit-shortcut"));
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });

  // Order entry: after a line is added, clear the add-line box and focus where the server says.
  document.body.addEventListener("entry:focus", function (event) {
    var detail = event.detail || {};
    if (detail.reset) {
      document.querySelectorAll(detail.reset).forEach(function (field) {
        field.value = field.getAttribute("data-reset-value") || "";
        field.removeAttribute("data-picked");
      });
    }
    focusTarget(detail.focus || detail.value);
  });
})();
