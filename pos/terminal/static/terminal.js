/* The cashier's page.  Keyboard first: a wedge scanner types a code and Enter wherever the focus is,
   F-keys do the rest.  All state lives in the API; this page only shows it and sends what the cashier does. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("page-config").textContent);
  const T = JSON.parse(document.getElementById("page-strings").textContent);
  const $ = (id) => document.getElementById(id);
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);

  // A burst shorter than this is a person's typing, not a barcode (EAN-8 is the shortest retail code).
  const MIN_SCAN_LENGTH = 8;
  const STATUS_EVERY_MS = 30000;

  const state = {
    token: sessionStorage.getItem("pos.token"),
    who: JSON.parse(sessionStorage.getItem("pos.who") || "null"),
    shift: null,
    currency: sessionStorage.getItem("pos.currency") || "",
    basket: null,
    selected: null,
    sale: null,
    paymentKey: null,
    paying: false,
    receiptUrl: null,
    // the device fault after the last paid sale or cash action: {saleId, faults: {fiscal|printer|drawer|other},
    // fiscalDone, result, busy}; shown until the next sale starts
    fault: null,
  };

  /* ---------- money and quantities ---------- */

  const SYMBOLS = { PLN: "zł", CZK: "Kč", UAH: "₴", EUR: "€" };

  function money(minor, currency) {
    const sign = minor < 0 ? "−" : "";
    const value = Math.abs(minor);
    const whole = Math.floor(value / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    const cents = String(value % 100).padStart(2, "0");
    const symbol = SYMBOLS[currency] || currency || "";
    return sign + whole + "," + cents + (symbol ? "\u00a0" + symbol : "");
  }

  function quantity(amount, unit) {
    if (unit === "kg") {
      return Math.floor(amount / 1000) + "," + String(amount % 1000).padStart(3, "0") + "\u00a0kg";
    }
    return String(amount);
  }

  /** "12,30", "12.3", "12" → 1230; "" → 0; anything else → null. */
  function parseMoney(text) {
    const cleaned = text.replace(/[\s\u00a0]/g, "").replace(/(zł|kč|₴)$/i, "");
    if (cleaned === "") return 0;
    const match = /^(\d{1,9})(?:[.,](\d{0,2}))?$/.exec(cleaned);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt((match[2] || "").padEnd(2, "0"), 10);
  }

  /** Pieces as a whole number; kilograms with up to three decimals → grams. */
  function parseQuantity(text, unit) {
    const cleaned = text.replace(/[\s\u00a0]/g, "").replace(/kg$/i, "");
    if (unit === "kg") {
      const match = /^(\d{1,3})(?:[.,](\d{0,3}))?$/.exec(cleaned);
      if (!match) return null;
      return parseInt(match[1], 10) * 1000 + parseInt((match[2] || "").padEnd(3, "0"), 10);
    }
    return /^\d{1,4}$/.test(cleaned) ? parseInt(cleaned, 10) : null;
  }

  function newIdempotencyKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; a till on http://<lan address> still has getRandomValues.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /* ---------- the API ---------- */

  class ApiError extends Error {
    constructor(message, status, problem) {
      super(message);
      this.status = status;
      this.problem = problem || {};
      this.slug = (this.problem.type || "").split("/").pop();
    }
  }

  function problemText(problem, response) {
    const slug = (problem && problem.type || "").split("/").pop();
    if (slug === "unknown-code" && problem.code) return fill(T.unknown_code, { code: problem.code });
    if (slug === "login-locked" && problem.retry_after) return fill(T.login_locked, { seconds: problem.retry_after });
    // the server's stable code, said in the page's language with what to do next
    const known = T.problems && T.problems[slug];
    if (known) return fill(known, Object.assign({ code: "" }, problem));
    return (problem && (problem.detail || problem.title)) || `${response.status} ${response.statusText}`;
  }

  async function api(method, path, body, headers) {
    const sent = Object.assign({ Accept: "application/json" }, headers || {});
    if (state.token) sent.Authorization = "Bearer " + state.token;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (networkFailure) {
      throw new ApiError(T.offline, 0, null);
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) {
      const error = new ApiError(problemText(data, response), response.status, data);
      if (response.status === 401 && error.slug === "unauthorized") {
        loggedOut(T.login_again);
      }
      throw error;
    }
    return data;
  }

  /* ---------- what the cashier sees ---------- */

  function showError(text) {
    $("error-text").textContent = text;
    $("error").dataset.empty = "false";
    $("message").textContent = "";
  }

  function clearError() {
    $("error-text").textContent = "–";
    $("error").dataset.empty = "true";
  }

  function say(text) {
    $("message").textContent = text;
  }

  function currency() {
    return (state.basket && state.basket.currency) || (state.sale && state.sale.currency) || state.currency;
  }

  function selectedLine() {
    const lines = state.basket ? state.basket.lines : [];
    return lines.find((line) => line.id === state.selected) || lines[lines.length - 1] || null;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function render() {
    const lines = state.basket ? state.basket.lines : [];
    const body = $("lines-body");
    body.textContent = "";
    const chosen = selectedLine();
    for (const line of lines) {
      const row = document.createElement("tr");
      row.dataset.id = line.id;
      row.dataset.sku = line.sku;
      if (chosen && chosen.id === line.id) row.className = "selected";
      cell(row, String(line.position), "num");
      const name = cell(row, line.name);
      if (line.discount) {
        const note = document.createElement("span");
        note.className = "note";
        note.textContent = `${T.discount} −${money(line.discount, state.basket.currency)}`;
        name.appendChild(note);
      }
      cell(row, quantity(line.quantity, line.unit), "num qty");
      const price = money(line.unit_price, state.basket.currency) + (line.unit === "kg" ? "/kg" : "");
      cell(row, price, "num price");
      cell(row, money(line.amount, state.basket.currency), "num amount");
      cell(row, line.vat_group, "vat");
      row.addEventListener("click", () => { state.selected = line.id; render(); });
      body.appendChild(row);
    }
    $("lines").hidden = lines.length === 0;
    $("receipt").hidden = !(lines.length === 0 && state.sale);
    $("empty-basket").hidden = lines.length > 0 || Boolean(state.sale);
    // Until the next scan the total stays that of the sale just paid: the customer may still ask.
    const shownTotal = state.basket ? state.basket.total : state.sale ? state.sale.to_pay : 0;
    $("total").textContent = money(shownTotal, currency());
    $("item-count").textContent = lines.length ? fill(T.items, { count: lines.length }) : "";
    $("change").textContent = state.sale && !state.basket ? money(state.sale.change, state.sale.currency) : "–";
    const row = body.querySelector("tr.selected");
    if (row) row.scrollIntoView({ block: "nearest" });
    renderFault();
  }

  function setBasket(basket) {
    state.basket = basket;
    if (basket) {
      sessionStorage.setItem("pos.basket", basket.id);
      if (!basket.lines.some((line) => line.id === state.selected)) {
        state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
      }
    } else {
      sessionStorage.removeItem("pos.basket");
      state.selected = null;
    }
    render();
  }

  function renderWho() {
    if (!state.who) { $("who").textContent = ""; return; }
    const parts = [state.who.cashier.name, state.who.terminal.code];
    if (state.shift) {
      const opened = new Date(state.shift.opened_at);
      parts.push(`${T.shift_since} ${opened.toLocaleTimeString(config.language, { hour: "2-digit", minute: "2-digit" })}`);
    }
    $("who").textContent = parts.join(" · ");
  }

  /* ---------- log in, shift ---------- */

  function selling() {
    return !$("sell-screen").hidden && state.shift !== null && !$("shift-dialog").open;
  }

  function loggedOut(message) {
    state.token = null;
    state.who = null;
    state.shift = null;
    state.basket = null;
    state.fault = null;
    stopListening();
    sessionStorage.removeItem("pos.token");
    sessionStorage.removeItem("pos.who");
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    $("sell-screen").hidden = true;
    $("login-screen").hidden = false;
    $("logout").hidden = true;
    $("login-error").textContent = message || "";
    $("login-pin").value = "";
    renderWho();
    $("login-name").focus();
  }

  async function logIn(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    let answer;
    try {
      answer = await api("POST", "/auth/login", {
        login: $("login-name").value.trim(), pin: $("login-pin").value, terminal: $("login-terminal").value.trim(),
      });
    } catch (error) {
      $("login-error").textContent = error.message;
      $("login-pin").select();
      return;
    }
    state.token = answer.token;
    state.who = { cashier: answer.cashier, terminal: answer.terminal };
    sessionStorage.setItem("pos.token", answer.token);
    sessionStorage.setItem("pos.who", JSON.stringify(state.who));
    localStorage.setItem("pos.terminal", answer.terminal.code);
    const language = answer.terminal.language;
    if (language && language !== config.language && config.languages.includes(language)) {
      // The terminal speaks its own language: reload in it (the token survives in sessionStorage).
      window.location.replace("?lang=" + encodeURIComponent(language));
      return;
    }
    await enterTill();
  }

  async function enterTill() {
    $("login-screen").hidden = true;
    $("sell-screen").hidden = false;
    $("logout").hidden = false;
    renderWho();
    try {
      state.shift = await api("GET", "/shifts/current");
    } catch (error) {
      if (error.status === 409) { openShiftDialog(); return; }
      if (state.token) showError(error.message);
      return;
    }
    await startSelling();
  }

  async function startSelling() {
    state.currency = state.shift.currency;
    sessionStorage.setItem("pos.currency", state.currency);
    renderWho();
    const kept = sessionStorage.getItem("pos.basket");
    if (kept && !state.basket) {
      try {
        const basket = await api("GET", `/baskets/${kept}`);
        setBasket(basket.status === "open" ? basket : null);
      } catch (error) {
        setBasket(null);
      }
    }
    render();
    refreshStatus();
    listen();
    $("code").focus();
  }

  function openShiftDialog() {
    const dialog = $("shift-dialog");
    dialog.querySelector(".inline-error").textContent = "";
    dialog.showModal();
    $("shift-float").select();
  }

  async function openShift(event) {
    event.preventDefault();
    const dialog = $("shift-dialog");
    const amount = parseMoney($("shift-float").value);
    if (amount === null) { dialog.querySelector(".inline-error").textContent = T.bad_amount; return; }
    try {
      state.shift = await api("POST", "/shifts", { opening_float: amount });
    } catch (error) {
      dialog.querySelector(".inline-error").textContent = error.message;
      return;
    }
    dialog.close();
    say(T.shift_opened);
    // the shift is open whatever the slip printer did
    if (state.shift.device_fault) showFault(null, { printer: state.shift.device_fault });
    await startSelling();
  }

  async function logOut() {
    try { await api("POST", "/auth/logout"); } catch (error) { /* the token is dropped here either way */ }
    loggedOut("");
  }

  /* ---------- scanning ---------- */

  let scans = Promise.resolve();

  /** Scans are sent one after another: the first creates the basket the next ones fill. */
  function scan(code) {
    scans = scans.then(() => addCode(code.trim()));
    return scans;
  }

  async function addCode(code) {
    if (!code || !selling()) return;
    if (hooks.code && hooks.code(code)) return;
    try {
      if (!state.basket) {
        const basket = await api("POST", "/baskets", {});
        state.sale = null;
        state.fault = null;
        setBasket(basket);
      }
      const basket = await api("POST", `/baskets/${state.basket.id}/lines`, { code });
      state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
      setBasket(basket);
      clearError();
      say("");
    } catch (error) {
      if (error.slug === "basket-not-open" || error.slug === "unknown-basket") setBasket(null);
      if (hooks.addFailed && hooks.addFailed({ code }, error)) return;
      showError(error.message);
    }
  }

  const wedge = { buffer: "", last: -Infinity, target: null, before: null };

  function isTextField(element) {
    return Boolean(element) && (element.tagName === "TEXTAREA" || (element.tagName === "INPUT" &&
      !["button", "submit", "checkbox", "radio", "reset"].includes(element.type)));
  }

  function openDialog() {
    return document.querySelector("dialog[open]");
  }

  /** True when the key was a scanner's (taken from wherever the focus was). */
  function scannerKey(event) {
    const dialogOpen = openDialog();
    if (!selling() || $("parked-dialog").open || (dialogOpen && dialogOpen.dataset.noScan !== undefined)) {
      return false;
    }
    const codeField = $("code");
    const gap = event.timeStamp - wedge.last;
    if (event.key.length === 1 && /[0-9A-Za-z]/.test(event.key)) {
      wedge.last = event.timeStamp;
      if (event.target === codeField) { wedge.buffer = ""; return false; }
      if (!isTextField(event.target) && !openDialog()) {
        // Nothing else on the page takes typing: a code typed anywhere goes to the code field.
        event.preventDefault();
        codeField.value += event.key;
        codeField.focus();
        wedge.buffer = "";
        return true;
      }
      if (gap > config.scanGapMs || wedge.target !== event.target) {
        wedge.buffer = "";
        wedge.target = event.target;
        // Only Enter tells a scan from fast typing: the field keeps every key until then, and gets
        // this value back if it was a scan.
        wedge.before = isTextField(event.target) ? event.target.value : null;
      }
      wedge.buffer += event.key;
      if (!isTextField(event.target)) event.preventDefault();
      return true;
    }
    if (event.key === "Enter" && event.target !== codeField && wedge.buffer.length >= MIN_SCAN_LENGTH
        && gap <= config.scanGapMs) {
      event.preventDefault();
      event.stopPropagation();
      if (wedge.before !== null && isTextField(wedge.target)) wedge.target.value = wedge.before;
      const code = wedge.buffer;
      wedge.buffer = "";
      scan(code);
      return true;
    }
    if (event.key !== "Shift") wedge.buffer = "";
    return false;
  }

  /* ---------- lines: quantity, remove, discount ---------- */

  function lineOrComplain() {
    const line = selectedLine();
    if (!line) showError(state.basket && state.basket.lines.length ? T.no_line : T.empty_basket);
    return line;
  }

  function moveSelection(step) {
    const lines = state.basket ? state.basket.lines : [];
    if (!lines.length) return;
    const current = lines.indexOf(selectedLine());
    const next = Math.min(lines.length - 1, Math.max(0, current + step));
    state.selected = lines[next].id;
    render();
  }

  function dialogError(dialog, text) {
    dialog.querySelector(".inline-error").textContent = text;
    showError(text);
  }

  function openQuantity() {
    const line = lineOrComplain();
    if (!line) return;
    const dialog = $("quantity-dialog");
    dialog.dataset.line = line.id;
    dialog.dataset.unit = line.unit;
    dialog.querySelector(".line-name").textContent = line.name;
    dialog.querySelector(".unit").textContent = line.unit === "kg" ? "(kg)" : "";
    dialog.querySelector(".inline-error").textContent = "";
    $("quantity-value").value = quantity(line.quantity, line.unit).replace("\u00a0kg", "");
    dialog.showModal();
    $("quantity-value").select();
  }

  async function changeQuantity(event) {
    event.preventDefault();
    const dialog = $("quantity-dialog");
    const amount = parseQuantity($("quantity-value").value, dialog.dataset.unit);
    if (!amount) { dialogError(dialog, T.bad_quantity); return; }
    try {
      setBasket(await api("PATCH", `/baskets/${state.basket.id}/lines/${dialog.dataset.line}`, { quantity: amount }));
    } catch (error) {
      dialogError(dialog, error.message);
      return;
    }
    clearError();
    dialog.close();
  }

  async function removeLine() {
    const line = lineOrComplain();
    if (!line) return;
    try {
      const basket = await api("DELETE", `/baskets/${state.basket.id}/lines/${line.id}`);
      state.selected = null;
      setBasket(basket);
      clearError();
    } catch (error) {
      showError(error.message);
    }
  }

  function openDiscount() {
    const line = lineOrComplain();
    if (!line) return;
    const dialog = $("discount-dialog");
    dialog.dataset.line = line.id;
    dialog.querySelector(".line-name").textContent = `${line.name} — ${money(line.gross, state.basket.currency)}`;
    dialog.querySelector(".inline-error").textContent = "";
    $("discount-percent").value = "";
    $("discount-amount").value = "";
    $("manager-login").value = "";
    $("manager-pin").value = "";
    $("manager-approval").hidden = true;
    dialog.showModal();
    $("discount-percent").focus();
  }

  async function giveDiscount(event) {
    event.preventDefault();
    const dialog = $("discount-dialog");
    const percentText = $("discount-percent").value.trim().replace(",", ".").replace("%", "");
    const body = {};
    if (percentText !== "") {
      const percent = Number(percentText);
      if (!Number.isFinite(percent)) { dialogError(dialog, T.bad_amount); return; }
      body.percent = percent;
    } else {
      const amount = parseMoney($("discount-amount").value);
      if (amount === null) { dialogError(dialog, T.bad_amount); return; }
      body.amount = amount;
    }
    if (!$("manager-approval").hidden) {
      body.approval = { login: $("manager-login").value.trim(), pin: $("manager-pin").value };
    }
    try {
      setBasket(await api("PUT", `/baskets/${state.basket.id}/lines/${dialog.dataset.line}/discount`, body));
    } catch (error) {
      if (error.slug === "manager-approval-required") {
        $("manager-approval").hidden = false;
        dialog.querySelector(".inline-error").textContent = T.manager_needed;
        $("manager-login").focus();
        return;
      }
      dialogError(dialog, error.message);
      if (!$("manager-approval").hidden) $("manager-pin").select();
      return;
    }
    clearError();
    dialog.close();
  }

  /* ---------- park and resume ---------- */

  async function parkOrResume() {
    if (state.basket && state.basket.lines.length) {
      try {
        await api("POST", `/baskets/${state.basket.id}/park`);
      } catch (error) {
        showError(error.message);
        return;
      }
      setBasket(null);
      clearError();
      say(T.basket_parked);
      return;
    }
    let parked;
    try {
      parked = (await api("GET", "/baskets/parked")).items;
    } catch (error) {
      showError(error.message);
      return;
    }
    if (!parked.length) { say(T.no_parked); return; }
    const list = $("parked-list");
    list.textContent = "";
    parked.forEach((basket, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.basket = basket.id;
      const names = basket.lines.map((line) => line.name).slice(0, 3).join(", ");
      button.textContent = `${index + 1}. ${fill(T.parked_at, { count: basket.lines.length, total: money(basket.total, basket.currency) })} — ${names}`;
      button.addEventListener("click", () => resume(basket.id));
      item.appendChild(button);
      list.appendChild(item);
    });
    $("parked-dialog").showModal();
    list.querySelector("button").focus();
  }

  async function resume(basketId) {
    try {
      if (state.basket && !state.basket.lines.length) {
        await api("POST", `/baskets/${state.basket.id}/cancel`);  // an empty basket is not worth keeping
      }
      const basket = await api("POST", `/baskets/${basketId}/resume`);
      state.sale = null;
      state.fault = null;
      setBasket(basket);
      clearError();
      say(T.basket_resumed);
    } catch (error) {
      showError(error.message);
    }
    $("parked-dialog").close();
  }

  function parkedKeys(event) {
    const buttons = Array.from($("parked-list").querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = Math.min(buttons.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)));
      buttons[next].focus();
    } else if (/^[1-9]$/.test(event.key) && buttons[Number(event.key) - 1]) {
      event.preventDefault();
      buttons[Number(event.key) - 1].click();
    }
  }

  /* ---------- payment ---------- */

  function tendered() {
    return { card: parseMoney($("pay-card").value), cash: parseMoney($("pay-cash").value),
             points: parseMoney($("pay-points").value), gift: parseMoney($("pay-gift").value) };
  }

  function updatePayment() {
    const { card: cardOnly, cash, points, gift } = tendered();
    const total = state.basket ? state.basket.total : 0;
    const result = $("payment-dialog").querySelector(".pay-result");
    if (cardOnly === null || cash === null || points === null || gift === null) {
      $("pay-change").textContent = "?"; return;
    }
    const card = cardOnly + points + gift;  // non-cash tenders together
    const difference = card + cash - total;
    result.classList.toggle("short", difference < 0 && card + cash > 0);
    $("pay-remaining-label").textContent = difference < 0 && card + cash > 0 ? T.remaining : T.change_due;
    $("pay-change").textContent = money(card + cash === 0 ? 0 : Math.abs(difference), currency());
  }

  function openPayment() {
    if (!state.basket || !state.basket.lines.length) { showError(T.empty_basket); return; }
    const dialog = $("payment-dialog");
    // One key per payment attempt: a second Enter or a retry after a lost answer returns the same sale.
    state.paymentKey = newIdempotencyKey();
    dialog.dataset.basket = state.basket.id;
    $("pay-total").textContent = money(state.basket.total, state.basket.currency);
    $("pay-card").value = "";
    $("pay-reference").value = "";
    $("pay-cash").value = "";
    $("pay-points").value = "";
    $("pay-gift").value = "";
    $("pay-gift-code").value = "";
    $("pay-gift-balance").textContent = "";
    dialog.querySelector(".inline-error").textContent = "";
    if (hooks.paymentOpened) hooks.paymentOpened();
    updatePayment();
    dialog.showModal();
    $("pay-cash").focus();
  }

  async function pay(event) {
    event.preventDefault();
    if (state.paying) return;
    const dialog = $("payment-dialog");
    let { card, cash, points, gift } = tendered();
    if (card === null || cash === null || points === null || gift === null) { dialogError(dialog, T.bad_amount); return; }
    if (card + cash + points + gift === 0) cash = state.basket.total;
    const payments = points > 0 ? [{ method: "points", amount: points }] : [];
    if (gift > 0) {
      const code = $("pay-gift-code").value.trim();
      if (!code) { dialogError(dialog, T.gift_card_code_needed); $("pay-gift-code").focus(); return; }
      payments.push({ method: "gift_card", amount: gift, reference: code });
    }
    if (card > 0) {
      const reference = $("pay-reference").value.trim();
      payments.push(reference ? { method: "card", amount: card, reference } : { method: "card", amount: card });
    }
    if (cash > 0) payments.push({ method: "cash", amount: cash });
    state.paying = true;
    let sale;
    const body = { payments };
    if (state.customer) body.customer_id = state.customer.id;
    try {
      sale = await api("POST", `/baskets/${dialog.dataset.basket}/checkout`, body,
                       { "Idempotency-Key": state.paymentKey });
    } catch (error) {
      dialogError(dialog, error.message);
      return;
    } finally {
      state.paying = false;
    }
    state.paymentKey = null;
    dialog.close();
    state.sale = sale;
    if (hooks.paid) hooks.paid(sale);
    setBasket(null);
    clearError();
    say(fill(T.paid, { number: sale.receipt_number }) + (sale.fiscal_warning ? " " + sale.fiscal_warning.message : ""));
    if (sale.fiscal_warning) refreshStatus();
    // The sale is paid and kept whatever a device did; a fault says what the cashier must do next.
    if (sale.device_fault) {
      showFault(sale, sale.device_faults || { other: sale.device_fault });
      refreshStatus();
    }
    await showReceipt(sale);
  }

  /* ---------- the receipt ---------- */

  async function showReceipt(sale) {
    const box = $("receipt-body");
    $("receipt").dataset.saleId = sale.id;
    $("receipt").dataset.receiptNumber = sale.receipt_number;
    $("receipt").dataset.shown = "loading";
    box.textContent = "";
    if (state.receiptUrl) { URL.revokeObjectURL(state.receiptUrl); state.receiptUrl = null; }
    try {
      const response = await fetch(`/api/v1/sales/${sale.id}/receipt.png`, {
        headers: { Authorization: "Bearer " + state.token },
      });
      if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("image/png")) {
        throw new Error(String(response.status));
      }
      state.receiptUrl = URL.createObjectURL(await response.blob());
      const picture = document.createElement("img");
      picture.alt = "receipt";
      picture.src = state.receiptUrl;
      box.appendChild(picture);
      $("receipt").dataset.shown = "picture";
    } catch (noPicture) {
      // Without the printer's picture the cashier still sees what was sold and paid.
      box.appendChild(receiptText(sale));
      $("receipt").dataset.shown = "text";
    }
    render();
  }

  const WIDTH = 42;

  function twoColumns(left, right) {
    const room = Math.max(1, WIDTH - right.length - 1);
    const shown = left.length > room ? left.slice(0, room - 1) + "…" : left;
    return shown + " ".repeat(Math.max(1, WIDTH - shown.length - right.length)) + right;
  }

  function receiptText(sale) {
    const c = sale.currency;
    const out = [];
    out.push(twoColumns(fill(T.receipt_no, { number: sale.receipt_number }), `${sale.store}/${sale.terminal}`));
    out.push(new Date(sale.created_at).toLocaleString(config.language));
    out.push("-".repeat(WIDTH));
    for (const line of sale.lines) {
      out.push(line.name);
      const price = money(line.unit_price, c) + (line.unit === "kg" ? "/kg" : "");
      out.push(twoColumns(`  ${quantity(line.quantity, line.unit)} × ${price}`, `${money(line.gross, c)} ${line.vat_group}`));
      if (line.discount) out.push(twoColumns(`  ${T.discount}`, `−${money(line.discount, c)}  `));
    }
    out.push("-".repeat(WIDTH));
    for (const row of sale.vat) {
      const rate = row.vat_rate_bp === null ? "—" : `${row.vat_rate_bp / 100}%`;
      out.push(twoColumns(`${T.vat} ${row.vat_group} ${rate}  ${money(row.gross, c)}`, money(row.vat, c)));
    }
    out.push("=".repeat(WIDTH));
    out.push(twoColumns(T.total.toUpperCase(), money(sale.total, c)));
    if (sale.rounding) out.push(twoColumns(T.rounding, money(sale.rounding, c)));
    for (const payment of sale.payments) {
      const label = (T[payment.method] || payment.method) + (payment.reference ? ` (${payment.reference})` : "");
      out.push(twoColumns(label, money(payment.amount, c)));
    }
    out.push(twoColumns(T.change, money(sale.change, c)));
    const pre = document.createElement("pre");
    pre.className = "receipt-text";
    pre.textContent = out.join("\n");
    return pre;
  }

  /* ---------- status bar ---------- */

  /** The till's devices in the page's words: each device and its state, and receipts the fiscal printer owes. */
  function deviceSummary(data) {
    const parts = (data.items || []).map((item) =>
      `${deviceName(item.name)}: ${(T.device_states || {})[item.state] || item.state}`);
    if (data.fiscal_waiting) parts.push(fill(T.fiscal_waiting, { count: data.fiscal_waiting }));
    return parts.join(", ") || T.no_devices;
  }

  /** Sync with head office in the page's words: alone, in step, or what waits and why. */
  function syncSummary(data) {
    if (!data.configured) return T.sync_alone;
    const waiting = (data.backlog && data.backlog.changes) || 0;
    const refused = (data.refused_at_hq && data.refused_at_hq.changes) || 0;
    const parts = [];
    if (data.push && data.push.last_error) parts.push(T.sync_unreachable);
    parts.push(waiting ? fill(T.sync_waiting, { count: waiting }) : T.sync_in_step);
    if (refused) parts.push(fill(T.sync_refused, { count: refused }));
    return parts.join(" · ");
  }

  async function syncStatus() {
    try {
      const response = await fetch("/api/v1/sync/status", { headers: { Authorization: "Bearer " + state.token } });
      if (response.ok) $("sync-status").textContent = `${T.sync}: ${syncSummary(await response.json())}`;
      // 404: that part of the node is not there yet; the placeholder stays.
    } catch (offline) { /* the next refresh tries again */ }
  }

  function deviceName(name) {
    return (T.device_names && T.device_names[name]) || name;
  }

  /** The fault in the page's language where the code is known (its figures filled in), else the device's words. */
  function faultText(fault, device) {
    const texts = T.fault_texts || {};
    const known = fault && (texts[`${device || fault.device}:${fault.code}`] || texts[fault.code]);
    if (!known) return { message: fault ? fault.message : "", action: fault ? fault.action || "" : "" };
    const currency = (state.sale && state.sale.currency) || "PLN";
    const figures = {};
    for (const [name, value] of Object.entries(fault.details || {})) {
      figures[name] = typeof value === "number" ? money(value, currency) : value;
    }
    return { message: fill(known[0], figures), action: fill(known[1], figures) };
  }

  /** A device with a fault shows in red with what to do; otherwise the summary of every device. */
  async function deviceStatus() {
    const element = $("device-status");
    try {
      const response = await fetch("/api/v1/devices", { headers: { Authorization: "Bearer " + state.token } });
      if (!response.ok) return;
      const data = await response.json();
      const faulty = (data.items || []).filter((item) => item.error);
      element.classList.toggle("fault", faulty.length > 0);
      element.dataset.fault = faulty.length ? faulty[0].error.code : "";
      // a PRRO near or at the law's offline limit (Ukraine) says so before it stops fiscal sales
      const notice = (data.items || []).map((item) => item.offline_notice).find(Boolean);
      element.classList.toggle("warn", Boolean(notice) && !faulty.length);
      element.textContent = faulty.length
        ? `${T.devices}: ` + faulty.map((item) => {
          const text = faultText(item.error, item.name);
          return `${deviceName(item.name)}: ${text.message} ${T.what_to_do}: ${text.action}`;
        }).join(" · ")
        : notice ? `${T.devices}: ${notice.message}` : `${T.devices}: ${deviceSummary(data)}`;
      // a sale the fiscal printer has not taken can be resolved from here too, long after it was paid
      const oldest = data.fiscal_oldest;
      state.stuck = oldest && oldest.last_error ? oldest : null;
      $("stuck-sale").hidden = !state.stuck;
      $("stuck-sale").textContent = state.stuck ? fill(T.stuck_sale, { number: oldest.receipt_number }) : "";
    } catch (offline) { /* the next refresh tries again */ }
  }

  function refreshStatus() {
    if (!state.token) return;
    deviceStatus();
    syncStatus();
  }

  /* ---------- device faults after a sale or a cash action ---------- */

  const FAULT_ORDER = ["fiscal", "printer", "drawer", "other"];

  function showFault(sale, faults) {
    state.fault = {
      saleId: sale ? sale.id : null, faults: Object.assign({}, faults), result: "", busy: false,
      fiscalDone: Boolean(sale) && ["confirmed", "not_fiscal"].includes(sale.fiscal_status),
    };
    renderFault();
  }

  function currentFault() {
    const fault = state.fault;
    const name = fault && FAULT_ORDER.find((key) => fault.faults[key]);
    return name ? Object.assign({ device: name }, fault.faults[name]) : null;
  }

  function renderFault() {
    const panel = $("device-fault");
    const fault = state.fault;
    panel.hidden = !fault;
    if (!fault) return;
    const current = currentFault();
    panel.dataset.state = current ? "fault" : "ok";
    panel.dataset.code = current ? current.code : "";
    panel.setAttribute("aria-busy", fault.busy ? "true" : "false");
    $("fault-title").textContent = current ? `${T.fault_title}: ${deviceName(current.device)}` : T.fault_resolved;
    $("fault-kept").hidden = !fault.saleId;
    const text = faultText(current);
    $("fault-message").textContent = current ? text.message : "";
    $("fault-action").textContent = current ? text.action : "";
    $("fault-action-row").hidden = !current;
    $("fault-result").textContent = fault.result || "";
    $("fault-retry").hidden = !fault.saleId || (fault.fiscalDone && !fault.faults.fiscal);
    $("fault-reprint").hidden = !fault.saleId;
    // a sale the fiscal printer will not take always has a way out: a manager voids it or marks it handled
    const stuck = Boolean(fault.saleId && fault.faults.fiscal);
    $("fault-void").hidden = !stuck;
    $("fault-handled").hidden = !stuck;
    $("fault-resolve").hidden = !stuck || !fault.resolving;
    $("resolve-number").closest("form").dataset.action = fault.resolving || "";
    $("resolve-number").hidden = fault.resolving !== "handled";
    $("resolve-number").previousElementSibling.hidden = fault.resolving !== "handled";
  }

  function startResolve(action) {
    const fault = state.fault;
    if (!fault || !fault.saleId) return;
    fault.resolving = action;
    renderFault();
    $("resolve-reason").focus();
  }

  async function resolveFiscal(event) {
    event.preventDefault();
    const fault = state.fault;
    if (!fault || !fault.resolving || fault.busy) return;
    const body = {
      action: fault.resolving, reason: $("resolve-reason").value.trim(),
      approval: { login: $("resolve-login").value.trim(), pin: $("resolve-pin").value },
    };
    const number = $("resolve-number").value.trim();
    if (fault.resolving === "handled" && number) body.fiscal_number = number;
    fault.busy = true;
    fault.result = T.resolving;
    renderFault();
    try {
      const answer = await api("POST", `/sales/${fault.saleId}/fiscal/resolve`, body);
      delete fault.faults.fiscal;
      delete fault.faults.other;
      fault.fiscalDone = true;
      fault.result = answer.resolution === "void" ? T.fiscal_voided : T.fiscal_handled;
      fault.resolving = null;
      $("fault-resolve").reset();
      if (state.sale && state.sale.id === fault.saleId) state.sale.fiscal_status = answer.fiscal_status;
    } catch (error) {
      fault.result = error.message;
      $("resolve-pin").select();
    } finally {
      fault.busy = false;
      if (state.fault === fault) renderFault();
      refreshStatus();
    }
  }

  /** Run one device action for the faulted sale; ``settle(answer)`` updates the faults. */
  async function faultAction(button, path, busyText, settle) {
    const fault = state.fault;
    if (!fault || !fault.saleId || fault.busy || $(button).hidden) return;
    fault.busy = true;
    fault.result = busyText;
    renderFault();
    try {
      settle(fault, await api("POST", path));
    } catch (error) {
      fault.result = error.message;
    } finally {
      fault.busy = false;
      if (state.fault === fault) renderFault();
      refreshStatus();
    }
  }

  function retryFiscal() {
    const fault = state.fault;
    if (!fault) return;
    faultAction("fault-retry", `/sales/${fault.saleId}/fiscal/retry`, T.retrying, (shown, answer) => {
      if (answer.device_fault) {
        shown.faults.fiscal = answer.device_fault;
        shown.result = T.still_failing;
        return;
      }
      delete shown.faults.fiscal;
      delete shown.faults.other;  // a till that could not reach its devices did reach them now
      shown.fiscalDone = ["confirmed", "not_fiscal"].includes(answer.fiscal_status);
      shown.result = answer.fiscal_number ? fill(T.fiscal_confirmed, { number: answer.fiscal_number }) : "";
      if (state.sale && state.sale.id === shown.saleId) {
        state.sale.fiscal_status = answer.fiscal_status;
        state.sale.fiscal_number = answer.fiscal_number;
      }
    });
  }

  function reprint() {
    const fault = state.fault;
    if (!fault) return;
    faultAction("fault-reprint", `/sales/${fault.saleId}/receipt/reprint`, T.reprinting, (shown, answer) => {
      if (!answer.printed) {
        shown.faults.printer = answer.device_fault;
        shown.result = T.still_failing;
        return;
      }
      delete shown.faults.printer;
      delete shown.faults.drawer;
      shown.result = T.reprinted;
      // the printer's picture of the receipt exists now
      if (state.sale && state.sale.id === shown.saleId && !state.basket) showReceipt(state.sale);
    });
  }

  /* ---------- a serial scanner's codes, added by the node (server-sent events) ---------- */

  let events = null;

  function listen() {
    if (events || !state.token || !state.who || typeof EventSource === "undefined") return;
    const source = new EventSource("/api/v1/terminals/" + encodeURIComponent(state.who.terminal.code) +
                                   "/events");  // the login cookie authenticates the stream
    events = source;
    document.body.dataset.events = "connecting";
    source.addEventListener("open", () => { document.body.dataset.events = "open"; });
    source.addEventListener("error", () => {
      // EventSource reconnects by itself; only a refused stream (e.g. an expired login) stays closed.
      if (source.readyState === EventSource.CLOSED && events === source) events = null;
      document.body.dataset.events = source.readyState === EventSource.CLOSED ? "closed" : "connecting";
    });
    source.addEventListener("scan", (event) => {
      const data = JSON.parse(event.data);
      scans = scans.then(() => scannedByDevice(data));
    });
    source.addEventListener("scan_refused", (event) => {
      const data = JSON.parse(event.data);
      scans = scans.then(() => {
        if (!selling()) return;
        const reason = problemText(data.problem || {}, { status: "", statusText: data.code || "" });
        showError(fill(T.scanner_refused, { reason }));
      });
    });
  }

  function stopListening() {
    if (events) events.close();
    events = null;
    document.body.dataset.events = "closed";
  }

  async function scannedByDevice(data) {
    if (!selling()) return;
    let basket = data.basket;
    if (!basket) return;
    if (state.basket && state.basket.id === basket.id && state.basket.lines.length > basket.lines.length) {
      // an older picture than the one shown (a typed scan overtook it): ask for the current one
      try { basket = await api("GET", `/baskets/${basket.id}`); } catch (error) { return; }
    }
    if (!state.basket || state.basket.id !== basket.id) {
      state.sale = null;  // a new sale has started
      state.fault = null;
    }
    state.selected = basket.lines.length ? basket.lines[basket.lines.length - 1].id : null;
    setBasket(basket);
    clearError();
    const line = basket.lines.find((item) => item.id === state.selected);
    say(line ? fill(T.scanned, { name: line.name }) : "");
  }

  /* ---------- keys ---------- */

  // more of the day (till-day.js): keys with nothing open, and a say in what a code or a failed add means
  const keys = {};
  const hooks = {};

  function onKey(event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (scannerKey(event)) return;
    if (!selling()) return;
    const dialog = openDialog();
    if (dialog && dialog.id === "parked-dialog") { parkedKeys(event); }
    const inField = isTextField(event.target) && event.target !== $("code");
    switch (event.key) {
      case "F2": event.preventDefault(); if (!dialog) openQuantity(); break;
      case "F4": event.preventDefault(); if (!dialog) openPayment(); break;
      case "F6": event.preventDefault(); if (!dialog) parkOrResume(); break;
      case "F8": event.preventDefault(); if (!dialog) removeLine(); break;
      case "F9": event.preventDefault(); if (!dialog) openDiscount(); break;
      case "F7": event.preventDefault(); if (!dialog) retryFiscal(); break;
      case "F10": event.preventDefault(); if (!dialog) reprint(); break;
      case "Escape":
        if (!dialog) {
          $("code").value = "";
          clearError();
          if (state.fault && !currentFault() && !state.fault.busy) { state.fault = null; renderFault(); }
          $("code").focus();
        }
        break;  // an open dialog closes itself on Esc
      case "ArrowUp":
      case "ArrowDown":
        if (!dialog && !inField) { event.preventDefault(); moveSelection(event.key === "ArrowUp" ? -1 : 1); }
        break;
      default:
        if (!dialog && keys[event.key]) { event.preventDefault(); keys[event.key](); }
        break;
    }
  }

  function wire() {
    document.addEventListener("keydown", onKey, true);
    $("login-form").addEventListener("submit", logIn);
    $("shift-form").addEventListener("submit", openShift);
    $("shift-dialog").addEventListener("cancel", (event) => event.preventDefault());  // no selling without a shift
    $("quantity-form").addEventListener("submit", changeQuantity);
    $("payment-form").addEventListener("submit", pay);
    $("discount-form").addEventListener("submit", giveDiscount);
    $("pay-card").addEventListener("input", updatePayment);
    $("pay-points").addEventListener("input", updatePayment);
    $("pay-cash").addEventListener("input", updatePayment);
    $("pay-gift").addEventListener("input", updatePayment);
    $("code-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const code = $("code").value;
      $("code").value = "";
      scan(code);
    });
    $("logout").addEventListener("click", logOut);
    $("fault-retry").addEventListener("click", retryFiscal);
    $("fault-reprint").addEventListener("click", reprint);
    $("fault-void").addEventListener("click", () => startResolve("void"));
    $("stuck-sale").addEventListener("click", () => {
      if (state.stuck) showFault({ id: state.stuck.sale_id, fiscal_status: state.stuck.fiscal_status },
                                 { fiscal: state.stuck.last_error });
    });
    $("fault-handled").addEventListener("click", () => startResolve("handled"));
    $("fault-resolve").addEventListener("submit", resolveFiscal);
    for (const button of document.querySelectorAll("[data-action=logout]")) button.addEventListener("click", logOut);
    for (const button of document.querySelectorAll("[data-action=close]")) {
      button.addEventListener("click", () => button.closest("dialog").close());
    }
    for (const dialog of document.querySelectorAll("dialog")) {
      dialog.addEventListener("close", () => { if (selling()) $("code").focus(); });
    }
    const terminal = localStorage.getItem("pos.terminal");
    if (terminal) $("login-terminal").value = terminal;
    setInterval(refreshStatus, STATUS_EVERY_MS);
  }

  window.till = {
    T, config, state, api, $, fill, money, quantity, parseMoney, parseQuantity, newIdempotencyKey, setBasket,
    render, showError, clearError, say, selling, scan, showReceipt, showFault, refreshStatus, openDialog,
    dialogError, selectedLine, keys, hooks, startSelling, openShiftDialog, openPayment,
  };
  wire();
  render();
  if (state.token && state.who) {
    enterTill();
  } else {
    loggedOut("");
  }
})();
