// The card field of the payment section (order entry, "Try another card"): Stripe Elements.
//
// The card number goes from the card field to Stripe (or localstripe) and never to our server.
// When the form is sent with "A new card" chosen and no card set up yet, this script asks our
// server for a SetupIntent (POST data-setup-url), confirms it with the card field
// (stripe.confirmCardSetup), puts the SetupIntent id in #card-setup-intent and sends the form
// again: the server reads the card's id, brand, last four and expiry back from Stripe.
// Keyboard: Alt+K goes to the card field; Ctrl+Enter still places the order.
// No inline script: the publishable key and URLs are data attributes of #payment-panel.
(function () {
  "use strict";

  var panel = document.getElementById("payment-panel");
  if (!panel || typeof window.Stripe !== "function") { return; }
  var form = panel.closest("form");
  var errors = document.getElementById("card-errors");
  var setupIntent = document.getElementById("card-setup-intent");
  // Stripe's own messages (a decline, an incomplete number) in the page's language.
  var stripe = window.Stripe(panel.getAttribute("data-publishable-key"), { locale: document.documentElement.lang || "auto" });
  var elements = stripe.elements();
  var card = elements.create("card", { hidePostalCode: false });
  var cardKeyed = false;
  card.mount("#card-element");
  card.on("change", function (event) {
    cardKeyed = !(event && event.empty);  // Stripe says "empty"; localstripe's stand-in says nothing
    setupIntent.value = "";  // a card keyed again replaces the one set up before
    var kept = document.getElementById("card-kept");
    if (kept) { kept.remove(); }
    showError(event && event.error ? event.error.message : "");
  });

  function choice() {
    var checked = form.querySelector("input[name=card_choice]:checked");
    return checked ? checked.value : "";
  }
  function showError(message) { errors.textContent = message || ""; }
  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function submitButton() {
    var selector = form.getAttribute("data-submit-shortcut");
    return (selector && document.querySelector(selector)) || form.querySelector("[type=submit]");
  }
  function focusCard() {
    if (typeof card.focus === "function") { card.focus(); return; }
    var first = document.querySelector("#card-element input");  // localstripe's stand-in
    if (first) { first.focus(); }
  }
  function toggleNewCard() {
    var section = document.getElementById("card-new");
    if (section) { section.hidden = choice() !== "new"; }
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "card_choice") { toggleNewCard(); showError(""); }
  });
  document.body.addEventListener("htmx:oobAfterSwap", toggleNewCard);  // saved cards of a new customer
  toggleNewCard();

  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && (event.key === "k" || event.key === "K")) {
      event.preventDefault();
      var radio = document.getElementById("card-choice-new");
      if (radio && !radio.checked) { radio.checked = true; toggleNewCard(); }
      focusCard();
    }
  });

  async function setUpCard() {
    var customer = (form.elements.customer && form.elements.customer.value) || panel.getAttribute("data-customer") || "";
    if (!customer) { throw new Error(panel.getAttribute("data-message-no-customer")); }
    var response = await fetch(panel.getAttribute("data-setup-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ customer: customer, order: panel.getAttribute("data-order") || "" })
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok || !body.client_secret) { throw new Error(body.error || panel.getAttribute("data-message-failed")); }
    var result = await stripe.confirmCardSetup(body.client_secret, { payment_method: { card: card } });
    if (result.error) { throw new Error(result.error.message || panel.getAttribute("data-message-failed")); }
    return result.setupIntent.id;
  }

  // On the form itself, so it runs before the page's own submit handler (which disables the button).
  form.addEventListener("submit", function (event) {
    // Nothing keyed into the card field: the order goes without a card (another tender may pay).
    if (choice() !== "new" || setupIntent.value || !cardKeyed) { return; }
    event.preventDefault();
    var button = submitButton();
    if (form.getAttribute("data-card-busy")) { return; }
    form.setAttribute("data-card-busy", "true");
    if (button) { button.disabled = true; }
    showError("");
    errors.classList.remove("text-danger");
    errors.textContent = panel.getAttribute("data-message-working");
    setUpCard().then(function (id) {
      setupIntent.value = id;
      errors.textContent = "";
      form.removeAttribute("data-card-busy");
      if (button) { button.disabled = false; }
      form.requestSubmit(button || undefined);
    }).catch(function (error) {
      form.removeAttribute("data-card-busy");
      if (button) { button.disabled = false; }
      errors.classList.add("text-danger");
      showError((error && error.message) || panel.getAttribute("data-message-failed"));
      focusCard();
    });
  });
})();
