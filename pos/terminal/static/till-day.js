/* The rest of a cashier's day at the till, keyboard first — what its parts share: the till menu (F1), keys in
   list dialogs, dialogs' errors, a manager's approval, and printouts shown as the printer printed them.
   till-goods.js (weighing, goods by name, the customer) and till-money.js (returns, voids, cash, the drawer,
   X/Z reports, closing the shift, reprints) build on it; all on what terminal.js exports as window.till. */
(function () {
  "use strict";

  const till = window.till;
  const { T, state, api, $, fill, money } = till;

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

  /* ---------- the menu ---------- */

  // the menu's entries (data-menu) and what each does: filled in by till-goods.js and till-money.js
  const MENU = {};
  // keys on a list's chosen entry beyond Enter, by list id: {"sales-list": {Delete: (button) => …}}
  const LIST_KEYS = {};

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
    } else if (at >= 0 && (LIST_KEYS[list.id] || {})[event.key]) {
      event.preventDefault();
      event.stopPropagation();
      LIST_KEYS[list.id][event.key](buttons[at]);
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

  function methodName(method) {
    return T[method] || method;
  }

  till.day = { inlineError, openModal, ensureBasket, approval, showPrintout, faultNote, figures, methodName,
               menu: MENU, listKeys: LIST_KEYS };
  till.keys.F1 = openMenu;
  document.addEventListener("keydown", listKeys, true);
  for (const button of $("menu-list").querySelectorAll("button")) {
    button.addEventListener("click", () => chooseFromMenu(button.dataset.menu));
  }
})();
