/* Goods at the till: weighing (with a tare, or typed with a manager's PIN when the scale is down), goods
   without a barcode found by name, and the customer attached to the sale.  Built on till-day.js. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money, quantity } = till;
  const { inlineError, openModal, ensureBasket, approval } = till.day;

  const SCALE_DOWN = ["offline", "scale_fault"];  // the device, not the goods: a manager may allow a typed weight

  function scaleText(fault) {
    const known = (T.scale_texts || {})[fault && fault.code] || T.scale_texts.offline;
    return known[0] + " " + known[1];
  }

  /* ---------- weighing ---------- */

  function openWeigh(code, manual, why) {
    const dialog = $("weigh-dialog");
    $("weigh-code").value = code || "";
    $("weigh-tare").value = "";
    $("manual-grams").value = "";
    $("weigh-manager").value = "";
    $("weigh-pin").value = "";
    $("manual-weight").hidden = !manual;
    dialog.dataset.scale = manual === "no-scale" ? "none" : "yes";
    for (const id of ["weigh-manager", "weigh-pin"]) {
      $(id).hidden = manual === "no-scale";
      $(id).previousElementSibling.hidden = manual === "no-scale";
    }
    openModal(dialog, manual ? $("manual-grams") : code ? $("weigh-tare") : $("weigh-code"));
    if (why) inlineError(dialog, why);
  }

  async function weigh(event) {
    event.preventDefault();
    const dialog = $("weigh-dialog");
    const code = $("weigh-code").value.trim();
    if (!code) { inlineError(dialog, T.type_plu); $("weigh-code").focus(); return; }
    const body = { code };
    if ($("manual-weight").hidden) {
      const tare = $("weigh-tare").value.trim();
      if (tare && !/^\d{1,5}$/.test(tare)) { inlineError(dialog, T.bad_tare); $("weigh-tare").select(); return; }
      body.weigh = true;
      if (tare && Number(tare) > 0) body.tare_grams = Number(tare);
    } else {
      const grams = till.parseQuantity($("manual-grams").value, "kg");
      if (!grams) { inlineError(dialog, T.bad_weight); $("manual-grams").select(); return; }
      body.quantity = grams;
      const given = approval("weigh-manager", "weigh-pin");
      if (given) body.approval = given;
    }
    dialog.setAttribute("aria-busy", "true");
    try {
      await ensureBasket();
      const basket = await api("POST", `/baskets/${state.basket.id}/lines`, body);
      state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
      till.setBasket(basket);
    } catch (error) {
      weighFailed(dialog, error);
      return;
    } finally {
      dialog.removeAttribute("aria-busy");
    }
    till.clearError();
    const line = till.selectedLine();
    till.say(line ? fill(T.weighed, { name: line.name, weight: quantity(line.quantity, line.unit) }) : "");
    dialog.close();
  }

  function weighFailed(dialog, error) {
    const fault = error.problem && error.problem.device_fault;
    if (error.slug === "scale-refused" && fault && SCALE_DOWN.includes(fault.code)) {
      $("manual-weight").hidden = false;
      inlineError(dialog, scaleText(fault));
      $("manual-grams").focus();
    } else if (error.slug === "scale-refused") {
      inlineError(dialog, scaleText(fault));  // the goods: steady them or put them on, then Enter again
    } else if (error.slug === "no-scale" || error.slug === "weight-required") {
      openWeigh($("weigh-code").value, "no-scale", T.type_weight);
    } else {
      inlineError(dialog, error.message);
      if (error.slug === "manager-approval-required" || error.slug === "wrong-pin" || error.slug === "not-a-manager") {
        $(error.slug === "wrong-pin" ? "weigh-pin" : "weigh-manager").select();
      }
    }
  }

  /** A PLU typed in the code field: the node weighs by itself; when it cannot, say why or ask for the weight. */
  till.hooks.addFailed = (added, error) => {
    const fault = error.problem && error.problem.device_fault;
    if (error.slug === "scale-refused" && fault && SCALE_DOWN.includes(fault.code)) {
      openWeigh(added.code, "manager", scaleText(fault));
      return true;
    }
    if (error.slug === "scale-refused") { till.showError(scaleText(fault)); return true; }
    if (error.slug === "weight-required") { openWeigh(added.code, "no-scale", T.type_weight); return true; }
    return false;
  };

  /* ---------- goods without a barcode: by name ---------- */

  async function search(event) {
    event.preventDefault();
    const dialog = $("search-dialog");
    const query = $("search-query").value.trim();
    if (!query) return;
    let items;
    try {
      items = (await api("GET", "/products?limit=9&q=" + encodeURIComponent(query))).items;
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    const list = $("search-results");
    list.textContent = "";
    inlineError(dialog, items.length ? "" : fill(T.nothing_found, { query }));
    items.forEach((product, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.sku = product.sku;
      button.textContent = `${index + 1}. ${product.name} — ${money(product.price.amount, product.price.currency)}` +
        (product.unit === "kg" ? "/kg" : "");
      button.addEventListener("click", () => pick(product));
      item.appendChild(button);
      list.appendChild(item);
    });
    if (items.length) list.querySelector("button").focus();
  }

  async function pick(product) {
    const dialog = $("search-dialog");
    if (product.unit === "kg") {
      dialog.close();
      openWeigh(product.plu ? String(product.plu) : (product.barcodes || [])[0] || "", false);
      return;
    }
    try {
      await ensureBasket();
      const basket = await api("POST", `/baskets/${state.basket.id}/lines`, { sku: product.sku, quantity: 1 });
      state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
      till.setBasket(basket);
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    till.clearError();
    dialog.close();
  }

  function openSearch() {
    $("search-query").value = "";
    $("search-results").textContent = "";
    openModal($("search-dialog"), $("search-query"));
  }

  /* ---------- the customer at the till ---------- */

  const customerFields = ["customer-name-field", "customer-phone", "customer-email", "customer-card"];

  function customerLabel(customer) {
    return customer.name || customer.phone || customer.email || customer.card || "";
  }

  function showCustomer() {
    const customer = state.customer;
    $("customer-box").hidden = !customer;
    $("customer-shown").textContent = customer ? customerLabel(customer) : "";
  }

  function attach(customer) {
    state.customer = customer;
    showCustomer();
    $("customer-dialog").close();
    till.say(fill(T.customer_attached, { name: customerLabel(customer) }));
  }

  till.attachCustomer = attach;  // a loyalty card scanned at the till (till-loyalty.js)

  function openCustomer() {
    $("customer-query").value = "";
    $("customer-results").textContent = "";
    $("customer-new").hidden = true;
    for (const id of customerFields) $(id).value = "";
    $("consent-email").checked = false;
    $("consent-sms").checked = false;
    openModal($("customer-dialog"), $("customer-query"));
  }

  /** As the customer says it: an e-mail has an @; digits are a phone number, else a loyalty card's. */
  async function lookUp(typed) {
    const tries = typed.includes("@") ? [["email", typed]] : [["phone", typed], ["card", typed]];
    for (const [field, value] of tries) {
      try {
        const found = (await api("GET", `/customers?${field}=${encodeURIComponent(value)}`)).customers;
        if (found.length) return found;
      } catch (error) {
        if (error.status !== 422) throw error;  // not a phone number: try it as a card
      }
    }
    return [];
  }

  async function customerStep(event) {
    event.preventDefault();
    const dialog = $("customer-dialog");
    const typed = $("customer-query").value.trim();
    if (!$("customer-new").hidden && typed === dialog.dataset.typed) { await createCustomer(dialog); return; }
    if (!typed) { inlineError(dialog, T.customer_type); return; }
    let found;
    try {
      found = await lookUp(typed);
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    dialog.dataset.typed = typed;
    const list = $("customer-results");
    list.textContent = "";
    found.forEach((customer, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.customer = customer.id;
      button.textContent = `${index + 1}. ` + [customer.name, customer.phone, customer.email, customer.card]
        .filter(Boolean).join(" · ");
      button.addEventListener("click", () => attach(customer));
      item.appendChild(button);
      list.appendChild(item);
    });
    if (found.length) {
      $("customer-new").hidden = true;
      inlineError(dialog, "");
      list.querySelector("button").focus();
      return;
    }
    // nobody by that: offer a new profile with what was typed already in its place
    inlineError(dialog, T.customer_not_found);
    $("customer-new").hidden = false;
    for (const id of customerFields) $(id).value = "";
    $(typed.includes("@") ? "customer-email" : /^[+\d\s()-]{7,}$/.test(typed) ? "customer-phone" : "customer-card")
      .value = typed;
    $("customer-name-field").focus();
  }

  async function createCustomer(dialog) {
    const body = { name: $("customer-name-field").value.trim(), marketing_email: $("consent-email").checked,
                   marketing_sms: $("consent-sms").checked };
    for (const [field, id] of [["phone", "customer-phone"], ["email", "customer-email"], ["card", "customer-card"]]) {
      const value = $(id).value.trim();
      if (value) body[field] = value;
    }
    let customer;
    try {
      customer = await api("POST", "/customers", body);
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    attach(customer);
  }

  till.hooks.paid = () => { state.customer = null; showCustomer(); };


  till.day.menu.customer = openCustomer;
  till.keys.F3 = openSearch;
  till.keys.F5 = () => openWeigh("", false);
  $("weigh-form").addEventListener("submit", weigh);
  $("search-form").addEventListener("submit", search);
  $("customer-form").addEventListener("submit", customerStep);
})();
