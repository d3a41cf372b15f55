/* Coupons at the till: a coupon's code scanned or typed in the code field goes on the basket; the basket's
   lines show what it takes off each, and the box beside the total names the coupon (or why it takes nothing).
   Built on terminal.js's hooks, passing on to whatever hook was there before. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money } = till;

  // a single-use code as printed (XXXX-XXXX-XXXX, no 0/O/1/I); campaign codes are tried when no goods match
  const SINGLE_USE = /^[A-HJ-NP-Z2-9]{4}-?[A-HJ-NP-Z2-9]{4}-?[A-HJ-NP-Z2-9]{4}$/i;
  const NOT_GOODS = ["invalid-barcode", "unknown-code"];

  function showCoupon() {
    const basket = state.basket;
    const coupon = basket && basket.coupon;
    $("coupon-box").hidden = !coupon;
    if (!coupon) return;
    let text = fill(T.coupon_applied, { code: coupon.code, amount: money(coupon.discount, basket.currency) });
    if (!coupon.applies) {
      const reason = (T.coupon_reasons || {})[coupon.reason] || coupon.reason;
      text = `${coupon.code}: ${fill(reason, { amount: money(coupon.min_basket, basket.currency) })}`;
    }
    $("coupon-shown").textContent = text;
  }

  async function applyCoupon(code) {
    try {
      if (!state.basket) await till.day.ensureBasket();
      const basket = await api("PUT", `/baskets/${state.basket.id}/coupon`, { code });
      till.setBasket(basket);
      till.clearError();
      till.say("");
      return true;
    } catch (error) {
      if (error.slug === "coupon-unknown") return false;
      till.showError(error.message);
      return true;
    }
  }

  const codeBefore = till.hooks.code;
  till.hooks.code = (code) => {
    if (SINGLE_USE.test(code)) { applyCoupon(code); return true; }
    return codeBefore ? codeBefore(code) : false;
  };

  const addFailedBefore = till.hooks.addFailed;
  till.hooks.addFailed = (added, error) => {
    if (addFailedBefore && addFailedBefore(added, error)) return true;
    if (!NOT_GOODS.includes(error.slug) || !/[A-Za-z]/.test(added.code || "")) return false;
    applyCoupon(added.code).then((taken) => { if (!taken) till.showError(error.message); });
    return true;
  };

  // Every change of the basket re-draws its lines: the coupon box follows.
  new MutationObserver(showCoupon).observe($("lines-body"), { childList: true });
  const paidBefore = till.hooks.paid;
  till.hooks.paid = (sale) => { if (paidBefore) paidBefore(sale); showCoupon(); };
})();
