/* The rest of a cashier's day at the till, keyboard first: weighing (with a tare, or typed with a manager's
   PIN when the scale is down), finding goods by name, returns by receipt code, voids, cash in/out, the drawer,
   X and Z reports, closing the shift by counting the drawer, reprints and this shift's sales.
   Built on what terminal.js exports as window.till; every printout is shown as the printer printed it. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money, quantity } = till;

  // Notes and coins in the drawer, largest first (minor units): what a cashier counts at the close.
  const DENOMINATIONS = {
    PLN: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
    CZK: [500000, 200000, 100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
    UAH: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 10],
  };
  const SCALE_DOWN = ["offline", "scale_fault"];  // the device, not the goods: a manager may allow a typed weight
  const RECEIPT_CODE = /^R-[A-Za-z0-9_.]+-\d+$/;

  function scaleText(fault) {
    const known = (T.scale_texts || {})[fault && fault.code] || T.scale_texts.offline;
    return known[0] + " " + known[1];
  }

  function inlineError(dialog, text) {
    const where = dialog.querySelector(".inline-error");
    if (where) where.textContent = text;
  }

  function openModal(dialog, focus) {
    inlineError(dialog, "");
    if (!dialog.open) dialog.showModal();
    if (focus) { focus.focus(); if (focus.select) focus.select(); }
  }

  async function ensureBasket() {
    if (state.basket) return state.basket;
    const basket = await api("POST", "/baskets", {});
    state.sale = null;
    state.fault = null;
    till.setBasket(basket);
    return basket;
  }

  function approval(loginField, pinField) {
    const login = $(loginField).value.trim();
    return login || $(pinField).value ? { login, pin: $(pinField).value } : undefined;
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

  /* ---------- the menu ---------- */

  const MENU = {
    return: () => openReturn(""),
    "void-basket": voidBasket,
    cash_in: () => openCash("cash_in"),
    cash_out: () => openCash("cash_out"),
    drawer: openDrawer,
    "x-report": xReport,
    "close-shift": openClose,
    reprint: reprintLast,
    sales: openSales,
    customer: openCustomer,
  };

  function openMenu() {
    openModal($("menu-dialog"), $("menu-list").querySelector("button"));
  }

  function chooseFromMenu(action) {
    $("menu-dialog").close();
    MENU[action]();
  }

  /** Number keys and arrows in a list dialog (menu, search results, sales, after the close). */
  function listKeys(event) {
    const dialog = till.openDialog();
    if (!dialog || event.ctrlKey || event.altKey || event.metaKey) return;
    const list = dialog.querySelector(".menu-list, #search-results, #sales-list, #customer-results");
    if (!list) return;
    const buttons = Array.from(list.querySelectorAll("button"));
    if (!buttons.length) return;
    const at = buttons.indexOf(document.activeElement);
    const typing = document.activeElement && document.activeElement.tagName === "INPUT";
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      event.stopPropagation();
      const next = Math.min(buttons.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)));
      buttons[at < 0 ? 0 : next].focus();
    } else if (event.key === "Delete" && list.id === "sales-list" && at >= 0) {
      event.preventDefault();
      event.stopPropagation();
      openVoid(buttons[at].dataset.sale, buttons[at].dataset.receipt, buttons[at].dataset.total);
    } else if (!typing && /^[0-9]$/.test(event.key) && buttons[(Number(event.key) + 9) % 10]) {
      event.preventDefault();  // 1…9, then 0 for the tenth
      event.stopPropagation();
      buttons[(Number(event.key) + 9) % 10].click();
    }
  }

  /* ---------- printouts as the printer printed them ---------- */

  async function showPrintout(kind, title, message, fallback) {
    const dialog = $("printout-dialog");
    const body = $("printout-body");
    $("printout-title").textContent = title;
    $("printout-message").textContent = message || "";
    body.textContent = "";
    dialog.dataset.kind = kind;
    dialog.dataset.shown = "loading";
    openModal(dialog, dialog.querySelector("button.primary"));
    try {
      const response = await fetch(`/api/v1/printouts/last.png?kind=${encodeURIComponent(kind)}`,
                                   { headers: { Authorization: "Bearer " + state.token } });
      if (!response.ok) throw new Error(String(response.status));
      const picture = document.createElement("img");
      picture.alt = kind;
      picture.src = URL.createObjectURL(await response.blob());
      picture.addEventListener("load", () => URL.revokeObjectURL(picture.src), { once: true });
      body.appendChild(picture);
      dialog.dataset.shown = "picture";
    } catch (noPicture) {
      // a till without a receipt printer: the figures, as text
      const pre = document.createElement("pre");
      pre.className = "receipt-text";
      pre.textContent = (fallback || []).map(([label, value]) => `${label}: ${value}`).join("\n");
      body.appendChild(pre);
      dialog.dataset.shown = "text";
    }
  }

  function faultNote(answer) {
    const fault = answer && answer.device_fault;
    if (!fault) return "";
    const known = T.fault_texts && T.fault_texts[fault.code];
    return " " + (known ? `${known[0]} ${T.what_to_do}: ${known[1]}` : T.printer_problem);
  }

  function figures(report) {
    const c = report.currency || state.currency;
    return [[T.sales_count, report.sales_count], [T.sales_total, money(report.sales_total, c)],
            [T.expected_cash, money(report.expected_cash, c)]];
  }

  /* ---------- void the open basket ---------- */

  async function voidBasket() {
    if (!state.basket || !state.basket.lines.length) { till.showError(T.empty_basket); return; }
    try {
      await api("POST", `/baskets/${state.basket.id}/cancel`);
    } catch (error) {
      till.showError(error.message);
      return;
    }
    till.setBasket(null);
    till.clearError();
    till.say(T.basket_voided);
  }

  /* ---------- cash in / out, the drawer ---------- */

  function openCash(kind) {
    const dialog = $("cash-dialog");
    dialog.dataset.kind = kind;
    $("cash-title").textContent = kind === "cash_in" ? T.cash_in : T.cash_out;
    $("cash-amount").value = "";
    $("cash-reason").value = "";
    openModal(dialog, $("cash-amount"));
  }

  async function moveCash(event) {
    event.preventDefault();
    const dialog = $("cash-dialog");
    const amount = till.parseMoney($("cash-amount").value);
    if (!amount) { inlineError(dialog, T.bad_amount); $("cash-amount").select(); return; }
    const reason = $("cash-reason").value.trim();
    if (!reason) { inlineError(dialog, T.give_reason); $("cash-reason").focus(); return; }
    const kind = dialog.dataset.kind;
    let answer;
    try {
      answer = await api("POST", "/shifts/current/cash", { kind, amount, reason });
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    dialog.close();
    const done = fill(kind === "cash_in" ? T.cash_in_done : T.cash_out_done, { amount: money(amount, state.currency) });
    till.say(done);
    await showPrintout(kind, kind === "cash_in" ? T.cash_in : T.cash_out, done + faultNote(answer),
                       [[T.amount, money(amount, state.currency)], [T.reason, reason]]);
  }

  function openDrawer() {
    for (const id of ["drawer-reason", "drawer-manager", "drawer-pin"]) $(id).value = "";
    openModal($("drawer-dialog"), $("drawer-reason"));
  }

  async function drawer(event) {
    event.preventDefault();
    const dialog = $("drawer-dialog");
    const reason = $("drawer-reason").value.trim();
    if (!reason) { inlineError(dialog, T.give_reason); $("drawer-reason").focus(); return; }
    const body = { reason };
    const given = approval("drawer-manager", "drawer-pin");
    if (!given) { inlineError(dialog, T.manager_pin_needed); $("drawer-manager").focus(); return; }
    body.approval = given;
    let answer;
    try {
      answer = await api("POST", "/drawer/open", body);
    } catch (error) {
      inlineError(dialog, error.message);
      $(error.slug === "wrong-pin" ? "drawer-pin" : "drawer-manager").select();
      return;
    }
    dialog.close();
    till.say(answer.opened ? T.drawer_opened : T.drawer_approved + faultNote(answer));
  }

  /* ---------- X report, closing the shift, Z report ---------- */

  async function xReport() {
    let report;
    let printed;
    try {
      report = await api("GET", "/shifts/current/x-report");
      printed = await api("POST", "/shifts/current/x-report/print");
    } catch (error) {
      till.showError(error.message);
      return;
    }
    await showPrintout("x_report", T.x_report, T.x_report_done + faultNote(printed), figures(report));
  }

  async function openClose() {
    const dialog = $("close-dialog");
    let report;
    try {
      report = await api("GET", "/shifts/current/x-report");
    } catch (error) {
      till.showError(error.message);
      return;
    }
    dialog.dataset.expected = String(report.expected_cash);
    const box = $("denominations");
    box.textContent = "";
    for (const value of DENOMINATIONS[state.currency] || [100]) {
      const label = document.createElement("label");
      const id = `count-${value}`;
      label.htmlFor = id;
      label.textContent = money(value, state.currency);
      const input = document.createElement("input");
      input.id = id;
      input.dataset.value = String(value);
      input.inputMode = "numeric";
      input.placeholder = "0";
      input.addEventListener("input", countDrawer);
      box.append(label, input);
    }
    countDrawer();
    openModal(dialog, box.querySelector("input"));
  }

  /** The counted total from the counts; null when a count is not a whole number. */
  function counted() {
    let total = 0;
    for (const input of $("denominations").querySelectorAll("input")) {
      const text = input.value.trim();
      if (text === "") continue;
      if (!/^\d{1,5}$/.test(text)) return null;
      total += Number(text) * Number(input.dataset.value);
    }
    return total;
  }

  function countDrawer() {
    const expected = Number($("close-dialog").dataset.expected || 0);
    const total = counted();
    $("close-expected").textContent = money(expected, state.currency);
    $("close-counted").textContent = total === null ? "?" : money(total, state.currency);
    const difference = total === null ? null : total - expected;
    $("close-difference").textContent = difference === null ? "?"
      : (difference > 0 ? "+" : "") + money(difference, state.currency);
    $("close-difference").dataset.sign = difference === null ? "" : Math.sign(difference).toString();
  }

  async function closeShift(event) {
    event.preventDefault();
    const dialog = $("close-dialog");
    const total = counted();
    if (total === null) { inlineError(dialog, T.bad_count); return; }
    if (state.basket && state.basket.lines.length) { inlineError(dialog, T.basket_open); return; }
    let shift;
    try {
      shift = await api("POST", "/shifts/current/close", { counted_cash: total });
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    dialog.close();
    state.shift = null;
    // the last sale's receipt and messages belong to the shift just closed
    state.sale = null;
    state.fault = null;
    till.setBasket(null);
    till.clearError();
    till.say("");
    const summary = fill(T.shift_closed, {
      counted: money(shift.counted_cash, state.currency), expected: money(shift.expected_cash, state.currency),
      difference: money(shift.over_short, state.currency),
    });
    $("closed-summary").textContent = summary;
    await showPrintout("shift_close", T.shift_close_title, summary + faultNote(shift),
                       [[T.expected, money(shift.expected_cash, state.currency)],
                        [T.counted, money(shift.counted_cash, state.currency)],
                        [T.difference, money(shift.over_short, state.currency)]]);
    $("printout-dialog").addEventListener("close", () => openModal($("closed-dialog"),
      $("closed-dialog").querySelector("button")), { once: true });
  }

  async function afterClose(action) {
    const dialog = $("closed-dialog");
    if (action === "logout") { dialog.close(); $("logout").click(); return; }
    if (action === "open-shift") { dialog.close(); till.openShiftDialog(); return; }
    let report;
    try {
      report = await api("POST", "/day-reports");
    } catch (error) {
      inlineError(dialog, error.message);
      return;
    }
    dialog.close();
    const done = fill(T.z_report_done, { number: report.number });
    await showPrintout("z_report", T.z_report, done + faultNote(report), figures(report));
    $("printout-dialog").addEventListener("close", () => openModal(dialog, dialog.querySelector("button")),
                                          { once: true });
  }

  /* ---------- returns by receipt ---------- */

  const returning = { sale: null, code: "", key: null };

  function openReturn(code) {
    const dialog = $("return-dialog");
    returning.sale = null;
    returning.code = "";
    returning.key = null;
    $("return-code").value = code;
    $("return-sale").hidden = true;
    for (const id of ["return-reason", "return-manager", "return-pin"]) $(id).value = "";
    openModal(dialog, $("return-code"));
    if (code) findSale();
  }

  function methodName(method) {
    return T[method] || method;
  }

  async function findSale() {
    const dialog = $("return-dialog");
    const code = $("return-code").value.trim();
    if (!code) { inlineError(dialog, T.type_receipt); return; }
    let sale;
    try {
      sale = await api("GET", "/sales/by-receipt?code=" + encodeURIComponent(code));
    } catch (error) {
      inlineError(dialog, error.message);
      $("return-code").select();
      return;
    }
    inlineError(dialog, "");
    returning.sale = sale;
    returning.code = code;
    returning.key = till.newIdempotencyKey();
    const when = new Date(sale.created_at).toLocaleString(till.config.language);
    $("return-summary").textContent = fill(T.return_of, {
      number: `R-${sale.terminal}-${sale.receipt_number}`, when, total: money(sale.total, sale.currency),
    });
    const body = $("return-lines");
    body.textContent = "";
    for (const line of sale.lines) {
      const row = document.createElement("tr");
      const left = line.quantity - line.returned_quantity;
      row.dataset.line = line.id;
      for (const [text, cls] of [[line.name, ""], [quantity(line.quantity, line.unit), "num"],
                                 [quantity(line.returned_quantity, line.unit), "num"]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        row.appendChild(td);
      }
      const td = document.createElement("td");
      td.className = "num";
      const input = document.createElement("input");
      input.className = "return-quantity";
      input.dataset.unit = line.unit;
      input.dataset.left = String(left);
      input.inputMode = "decimal";
      input.placeholder = "0";
      input.disabled = left <= 0;
      input.setAttribute("aria-label", fill(T.return_quantity_of, { name: line.name }));
      td.appendChild(input);
      row.appendChild(td);
      body.appendChild(row);
    }
    const paid = sale.payments.filter((p) => p.amount > 0).map((p) => methodName(p.method)).join(", ");
    $("return-refund").textContent = fill(T.refund_to, { tenders: paid });
    $("return-sale").hidden = false;
    const first = body.querySelector("input:not([disabled])");
    if (first) first.focus();
    else inlineError(dialog, T.all_returned);
  }

  function returnLines(dialog) {
    const lines = [];
    for (const input of $("return-lines").querySelectorAll("input.return-quantity")) {
      const text = input.value.trim();
      if (text === "" || input.disabled) continue;
      const amount = till.parseQuantity(text, input.dataset.unit);
      if (amount === null) { inlineError(dialog, T.bad_quantity); input.select(); return null; }
      const left = Number(input.dataset.left);
      if (amount > left) {
        inlineError(dialog, fill(T.return_too_many, { left: quantity(left, input.dataset.unit) }));
        input.select();
        return null;
      }
      if (amount > 0) lines.push({ sale_line_id: input.closest("tr").dataset.line, quantity: amount });
    }
    return lines;
  }

  async function submitReturn(event) {
    event.preventDefault();
    const dialog = $("return-dialog");
    if (!returning.sale || $("return-code").value.trim() !== returning.code) { await findSale(); return; }
    const lines = returnLines(dialog);
    if (lines === null) return;
    if (!lines.length) {
      inlineError(dialog, T.pick_lines);
      const first = $("return-lines").querySelector("input:not([disabled])");
      if (first) first.focus();
      return;
    }
    const reason = $("return-reason").value.trim();
    if (!reason) { inlineError(dialog, T.give_reason); $("return-reason").focus(); return; }
    const given = approval("return-manager", "return-pin");
    if (!given) { inlineError(dialog, T.manager_pin_needed); $("return-manager").focus(); return; }
    let answer;
    try {
      answer = await api("POST", "/returns", { sale_id: returning.sale.id, lines, reason, approval: given },
                         { "Idempotency-Key": returning.key });
    } catch (error) {
      inlineError(dialog, error.message);
      if (error.slug === "wrong-pin") $("return-pin").select();
      else if (error.slug === "not-a-manager") $("return-manager").select();
      return;
    }
    dialog.close();
    const refunds = answer.refunds.map((r) => `${methodName(r.method)} ${money(r.amount, answer.currency)}`).join(", ");
    const done = fill(T.returned, { total: money(answer.total, answer.currency), refunds });
    till.say(done);
    await showPrintout("return", T.return_title, done + faultNote(answer),
                       answer.refunds.map((r) => [methodName(r.method), money(r.amount, answer.currency)]));
  }

  /** A receipt's code scanned or typed at the till opens the return for it. */
  till.hooks.code = (code) => {
    if (!RECEIPT_CODE.test(code)) return false;
    openReturn(code);
    return true;
  };

  /* ---------- reprints and this shift's sales ---------- */

  async function reprintSale(saleId, receiptNumber) {
    let answer;
    try {
      answer = await api("POST", `/sales/${saleId}/receipt/reprint`);
    } catch (error) {
      till.showError(error.message);
      return;
    }
    const done = fill(answer.kind === "receipt_copy" ? T.copy_printed : T.original_printed, { number: receiptNumber });
    till.say(done);
    await showPrintout(answer.kind, fill(T.receipt_no, { number: receiptNumber }), done + faultNote(answer),
                       [[T.receipt_no.replace(/\s*\{number\}/, ""), receiptNumber]]);
  }

  async function shiftSales() {
    return (await api("GET", "/shifts/current/sales")).items;
  }

  async function reprintLast() {
    let sales;
    try {
      sales = await shiftSales();
    } catch (error) {
      till.showError(error.message);
      return;
    }
    if (!sales.length) { till.showError(T.no_sales_yet); return; }
    await reprintSale(sales[0].id, sales[0].receipt_number);
  }

  async function openSales() {
    const dialog = $("sales-dialog");
    let sales;
    try {
      sales = await shiftSales();
    } catch (error) {
      till.showError(error.message);
      return;
    }
    const list = $("sales-list");
    list.textContent = "";
    for (const sale of sales) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.receipt = sale.receipt_code;
      button.dataset.sale = sale.id;
      button.dataset.total = money(sale.total, sale.currency);
      const time = new Date(sale.created_at).toLocaleTimeString(till.config.language,
                                                                  { hour: "2-digit", minute: "2-digit" });
      button.textContent = `${sale.receipt_code} · ${time} · ${money(sale.total, sale.currency)} · ` +
        sale.methods.map(methodName).join(", ") + (sale.returned ? ` · ${T.has_returns}` : "");
      button.addEventListener("click", () => { dialog.close(); reprintSale(sale.id, sale.receipt_number); });
      item.appendChild(button);
      list.appendChild(item);
    }
    openModal(dialog, list.querySelector("button"));
    if (!sales.length) inlineError(dialog, T.no_sales_yet);
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


  /* ---------- void a paid sale ---------- */

  const voiding = { saleId: null, receipt: "", key: null };

  function openVoid(saleId, receipt, total) {
    $("sales-dialog").close();
    voiding.saleId = saleId;
    voiding.receipt = receipt;
    voiding.key = till.newIdempotencyKey();  // one void, however often Enter is pressed
    $("void-summary").textContent = fill(T.void_of, { number: receipt, total });
    for (const id of ["void-reason", "void-manager", "void-pin"]) $(id).value = "";
    openModal($("void-dialog"), $("void-reason"));
  }

  async function voidSale(event) {
    event.preventDefault();
    const dialog = $("void-dialog");
    const reason = $("void-reason").value.trim();
    if (!reason) { inlineError(dialog, T.give_reason); $("void-reason").focus(); return; }
    const given = approval("void-manager", "void-pin");
    if (!given) { inlineError(dialog, T.manager_pin_needed); $("void-manager").focus(); return; }
    let answer;
    try {
      answer = await api("POST", `/sales/${voiding.saleId}/void`, { reason, approval: given },
                         { "Idempotency-Key": voiding.key });
    } catch (error) {
      inlineError(dialog, error.message);
      if (error.slug === "wrong-pin") $("void-pin").select();
      else if (error.slug === "not-a-manager") $("void-manager").select();
      return;
    }
    dialog.close();
    const refunds = answer.refunds.map((r) => `${methodName(r.method)} ${money(r.amount, answer.currency)}`).join(", ");
    const done = fill(T.sale_voided, { number: voiding.receipt, refunds });
    till.say(done);
    await showPrintout("return", T.void_title, done + faultNote(answer),
                       answer.refunds.map((r) => [methodName(r.method), money(r.amount, answer.currency)]));
  }

  /* ---------- wiring ---------- */

  till.keys.F1 = openMenu;
  till.keys.F3 = openSearch;
  till.keys.F5 = () => openWeigh("", false);
  document.addEventListener("keydown", listKeys, true);
  for (const button of $("menu-list").querySelectorAll("button")) {
    button.addEventListener("click", () => chooseFromMenu(button.dataset.menu));
  }
  for (const button of document.querySelectorAll("[data-closed]")) {
    button.addEventListener("click", () => afterClose(button.dataset.closed));
  }
  $("weigh-form").addEventListener("submit", weigh);
  $("search-form").addEventListener("submit", search);
  $("cash-form").addEventListener("submit", moveCash);
  $("drawer-form").addEventListener("submit", drawer);
  $("close-form").addEventListener("submit", closeShift);
  $("return-form").addEventListener("submit", submitReturn);
  $("customer-form").addEventListener("submit", customerStep);
  $("void-form").addEventListener("submit", voidSale);
  // the day's end has no selling behind it: Esc must not leave the cashier on a till without a shift
  $("closed-dialog").addEventListener("cancel", (event) => event.preventDefault());
})();
