// The confirm screen: the held mix, to dispense or to go back from.

import { mixText, tiles } from "./notes.js";
import { $ } from "./page.js";
import { announce, show } from "./screens.js";
import { state } from "./state.js";
import { money, t } from "./words.js";

export function confirmQuote(held) {
  state.quote = held;
  state.returnTo = state.screen;
  show("confirm");
  announce(`${$("confirm-text").textContent} ${mixText(held.plan.by_denomination)}`);
}

export function renderConfirm() {
  $("confirm-text").textContent = t("confirm.mix", { amount: money(state.quote.amount.value) });
  tiles($("confirm-tiles"), state.quote.plan.by_denomination);
  $("dispense").disabled = false;
}
