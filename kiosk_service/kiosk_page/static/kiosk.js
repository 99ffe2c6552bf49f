// The reference kiosk screen. It uses only the public HTTP API (/api/v1) with a kiosk key;
// the one exception is the demo signer, which stands in for the bank's host in demo mode.
// This module starts the page: it names each screen's renderer and wires the page's controls.

import { chooseAmount, loadAmounts, renderAmount, typed } from "./kiosk/amount.js";
import { getTerminal } from "./kiosk/api.js";
import { renderConfirm } from "./kiosk/confirm.js";
import { nextPage, renderMix } from "./kiosk/mixes.js";
import { holdAlternative, holdOwnMix, renderOwn, startOwnMix } from "./kiosk/own.js";
import { $, settings } from "./kiosk/page.js";
import { dispense, renderResult, restart } from "./kiosk/result.js";
import { defineScreens, render, show, showError } from "./kiosk/screens.js";
import { ALL_KINDS, state } from "./kiosk/state.js";

async function start() {
  defineScreens({ amount: renderAmount, mix: renderMix, own: renderOwn, confirm: renderConfirm,
                  result: renderResult });
  $("language").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "cs" : "en";
    render();
  });
  $("amount-input").addEventListener("input", () => typed(10 ** state.exponent));
  $("amount-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !$("amount-continue").disabled) $("amount-continue").click();
  });
  $("amount-continue").addEventListener("click", () =>
    chooseAmount(Number($("amount-input").value) * 10 ** state.exponent));
  for (const back of document.querySelectorAll("[data-back]")) {
    back.addEventListener("click", () => show(back.dataset.back));
  }
  $("confirm-back").addEventListener("click", () => show(state.returnTo || "mix"));
  $("own-continue").addEventListener("click", () => holdOwnMix().catch(showError));
  $("use-alternative").addEventListener("click", () => holdAlternative().catch(showError));
  $("own-mix").addEventListener("click", startOwnMix);
  $("more-mixes").addEventListener("click", nextPage);
  for (const [button, entry, focus] of [["show-keypad", "keypad", "amount-input"],
                                        ["show-quick", "quick", "quick"]]) {
    $(button).addEventListener("click", () => {
      state.entry = entry;
      renderAmount();
      (focus === "quick" ? $("quick").querySelector("button:enabled") : $(focus))?.focus();
    });
  }
  // A new window size or text size can change how many mixes fit.
  window.addEventListener("resize", () => { if (state.terminal) render(); });
  $("dispense").addEventListener("click", dispense);
  $("again").addEventListener("click", () => restart().catch(showError));
  render();
  try {
    const terminal = await getTerminal();
    state.terminal = terminal;
    state.currency = terminal.currency;
    state.exponent = settings.exponents[terminal.currency] ?? 2;
    // The terminal's dispensing policy decides what the customer is offered, in its order;
    // a service without policies offers every kind.
    state.offered = terminal.policy?.offered ?? ALL_KINDS;
    if (settings.strings[terminal.policy?.locale]) state.lang = terminal.policy.locale;
    state.denominations = [...new Set(terminal.cassettes.map((c) => c.denomination))]
      .sort((a, b) => b - a);
    await loadAmounts();
    document.body.dataset.ready = "true";
    show("amount");
  } catch (error) {
    showError(error);
  }
}

start();
