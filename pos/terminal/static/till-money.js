/* Money at the till: returns by receipt code, voids (the open basket, a paid sale), cash in/out, the drawer,
   X report, closing the shift by counting the drawer, Z report, reprints and this shift's sales; each
   printout shown as printed.  Built on till-day.js. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money, quantity } = till;
  const { inlineError, openModal, approval, showPrintout, faultNote, figures, methodName } = till.day;

  /** ``{reason, approval}`` from a dialog's ``<prefix>-reason``, ``-manager`` and ``-pin`` fields, or null with
      the dialog saying what is missing. */
  function reasonAndManager(dialog, prefix) {
    const reason = $(`${prefix}-reason`).value.trim();
    if (!reason) { inlineError(dialog, T.give_reason); $(`${prefix}-reason`).focus(); return null; }
    const given = approval(`${prefix}-manager`, `${prefix}-pin`);
    if (!given) { inlineError(dialog, T.manager_pin_needed); $(`${prefix}-manager`).focus(); return null; }
    return { reason, approval: given };
  }

  // Notes and coins in the drawer, largest first (minor units): what a cashier counts at the close.
  const DENOMINATIONS = {
    PLN: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
    CZK: [500000, 200000, 100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
    UAH: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 10],
  };
  const RECEIPT_CODE = /^R-[A-Za-z0-9_.]+-\d+$/;

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
    const body = reasonAndManager(dialog, "drawer");
    if (!body) return;
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
    const body = reasonAndManager(dialog, "return");
    if (!body) return;
    let answer;
    try {
      answer = await api("POST", "/returns", Object.assign({ sale_id: returning.sale.id, lines }, body),
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
    const body = reasonAndManager(dialog, "void");
    if (!body) return;
    let answer;
    try {
      answer = await api("POST", `/sales/${voiding.saleId}/void`, body,
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

  Object.assign(till.day.menu, {
    return: () => openReturn(""),
    "void-basket": voidBasket,
    cash_in: () => openCash("cash_in"),
    cash_out: () => openCash("cash_out"),
    drawer: openDrawer,
    "x-report": xReport,
    "close-shift": openClose,
    reprint: reprintLast,
    sales: openSales,
  });
  till.day.listKeys["sales-list"] = {
    Delete: (button) => openVoid(button.dataset.sale, button.dataset.receipt, button.dataset.total),
  };
  for (const button of document.querySelectorAll("[data-closed]")) {
    button.addEventListener("click", () => afterClose(button.dataset.closed));
  }
  $("cash-form").addEventListener("submit", moveCash);
  $("drawer-form").addEventListener("submit", drawer);
  $("close-form").addEventListener("submit", closeShift);
  $("return-form").addEventListener("submit", submitReturn);
  $("void-form").addEventListener("submit", voidSale);
  // the day's end has no selling behind it: Esc must not leave the cashier on a till without a shift
  $("closed-dialog").addEventListener("cancel", (event) => event.preventDefault());
})();
