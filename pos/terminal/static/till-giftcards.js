/* Gift cards at the till: sell one (F1 menu), see a card's balance when its code is scanned or typed in the
   payment dialog, and show the code of each card a sale issued.  Built on till-day.js. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money, parseMoney } = till;
  const { inlineError, openModal, ensureBasket } = till.day;

  function openSell() {
    $("gift-card-amount").value = "";
    openModal($("gift-card-dialog"), $("gift-card-amount"));
  }

  async function sell(event) {
    event.preventDefault();
    const dialog = $("gift-card-dialog");
    const amount = parseMoney($("gift-card-amount").value);
    if (!amount) { inlineError(dialog, T.bad_amount); $("gift-card-amount").select(); return; }
    try {
      await ensureBasket();
      const basket = await api("POST", `/baskets/${state.basket.id}/gift-cards`, { amount });
      state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
      till.setBasket(basket);
      dialog.close();
    } catch (error) {
      inlineError(dialog, error.message);
    }
  }

  async function lookUp() {
    const code = $("pay-gift-code").value.trim();
    const shown = $("pay-gift-balance");
    shown.textContent = "";
    if (!code) return;
    try {
      const card = await api("GET", `/gift-cards/${encodeURIComponent(code)}`);
      const until = new Date(card.expires_at).toLocaleDateString(till.config.language);
      shown.textContent = card.source === "local" && card.balance === null
        ? fill(T.gift_card_offline, { spendable: money(card.spendable, card.currency) })
        : fill(T.gift_card_balance, { spendable: money(card.spendable, card.currency), until });
      if (!$("pay-gift").value && state.basket) {
        const amount = Math.min(card.spendable, state.basket.total);
        if (amount > 0) $("pay-gift").value = money(amount, card.currency).replace(/[^\d,.\-]/g, "");
        $("pay-gift").dispatchEvent(new Event("input"));
      }
    } catch (error) {
      shown.textContent = error.message;
    }
  }

  const paid = till.hooks.paid;
  till.hooks.paid = (sale) => {
    if (paid) paid(sale);
    const sold = (sale.gift_cards || []).map((card) => fill(T.gift_card_sold, {
      code: card.printed, amount: money(card.amount, card.currency),
      until: new Date(card.expires_at).toLocaleDateString(till.config.language) }));
    // after the page has said "Paid": the card's code is what the cashier must hand over
    if (sold.length) setTimeout(() => till.say(fill(T.paid, { number: sale.receipt_number }) + " " + sold.join(" ")), 0);
  };

  const GIFT_CARD = /^GC[-\s]?[A-Z0-9-\s]{16,22}$/i;
  const otherCode = till.hooks.code;
  /** A gift card scanned at the till goes to the payment (opened for it when need be). */
  till.hooks.code = (code) => {
    if (!GIFT_CARD.test(code.trim())) return otherCode ? otherCode(code) : false;
    if (!$("payment-dialog").open) {
      if (!state.basket || !state.basket.lines.length) return otherCode ? otherCode(code) : false;
      till.openPayment();
    }
    $("pay-gift-code").value = code.trim();
    lookUp().then(() => $("pay-gift").focus());
    return true;
  };

  till.day.menu["gift-card"] = openSell;
  $("gift-card-form").addEventListener("submit", sell);
  $("pay-gift-code").addEventListener("change", lookUp);
  $("pay-gift-code").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); lookUp().then(() => $("pay-gift").focus()); }
  });
})();
