/* Loyalty at the till: a loyalty card scanned (or its QR from the customer's phone) attaches the customer,
   and the payment dialog offers the customer's points as a tender, with the balance read online.
   Built on terminal.js and till-goods.js (till.attachCustomer). */
(() => {
  "use strict";
  const till = window.till;
  const { T, state, api, $, fill, money } = till;
  const L = T.loyalty;
  Object.assign(T.problems, L.problems);  // the server's loyalty refusals, said in the page's language

  /** A code that is no product's may be a loyalty card: attach its customer instead of complaining. */
  const earlier = till.hooks.addFailed;
  till.hooks.addFailed = (added, error) => {
    if (earlier && earlier(added, error)) return true;
    if (!["unknown-code", "invalid-barcode"].includes(error.slug) || !added.code) return false;
    cardScanned(added.code, error.message);
    return true;
  };

  async function cardScanned(code, unknown) {
    let found = [];
    try {
      found = (await api("GET", `/customers?card=${encodeURIComponent(code)}`)).customers;
    } catch (error) {
      found = [];
    }
    if (found.length !== 1) { till.showError(unknown); return; }
    till.attachCustomer(found[0]);
    till.clearError();
    till.say(fill(L.card_attached, { card: found[0].card || code, name: found[0].name || "" }));
  }

  function showPoints(visible) {
    for (const element of document.querySelectorAll(".loyalty-row")) element.hidden = !visible;
  }

  /** The payment dialog opened: the customer's points, if a customer is attached. */
  till.hooks.paymentOpened = async () => {
    showPoints(Boolean(state.customer));
    const line = $("pay-points-balance");
    line.textContent = "";
    $("pay-points").disabled = false;
    if (!state.customer) return;
    try {
      const account = await api("GET", `/loyalty/accounts/${state.customer.id}`);
      const currency = state.basket ? state.basket.currency : undefined;
      line.textContent = fill(L.balance, { points: account.balance, worth: money(account.worth, currency) });
      $("pay-points").dataset.max = String(account.worth);
    } catch (error) {
      line.textContent = error.message;  // e.g. head office not reachable: points are refused, say why
      $("pay-points").disabled = true;
    }
  };
})();
