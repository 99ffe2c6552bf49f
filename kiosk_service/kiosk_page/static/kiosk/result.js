// The result screen: counting, "take your cash", then what the customer received, or a failure.

import { loadAmounts } from "./amount.js";
import { mixText } from "./notes.js";
import { $ } from "./page.js";
import { announce, render, show, showError } from "./screens.js";
import { state } from "./state.js";
import { payOut } from "./withdrawal.js";
import { money, t } from "./words.js";

export async function dispense() {
  $("dispense").disabled = true;
  showError(null);
  state.result = { phase: "wait" };
  show("result");
  announce(t("wait.counting"));
  try {
    const outcome = await payOut(state.quote, () => {
      state.result = { phase: "take" };
      render();
      announce(`${t("take.heading")}. ${t("take.text")}`);
    });
    state.result = { phase: "outcome", dispense: outcome };
    render();
    announce(`${$("result-heading").textContent}. ${$("result-text").textContent}`);
  } catch (error) {
    state.result = { phase: "error" };
    render();
    showError(error);
  }
}

export function renderResult() {
  const result = state.result;
  const heading = $("result-heading");
  const text = $("result-text");
  $("again").hidden = !["outcome", "error"].includes(result.phase);
  if (result.phase === "wait") {
    heading.textContent = t("wait.heading");
    text.textContent = t("wait.counting");
    return;
  }
  if (result.phase === "take") {
    heading.textContent = t("take.heading");
    text.textContent = t("take.text");
    return;
  }
  if (result.phase === "error") {
    heading.textContent = t("failed.heading");
    text.textContent = "";
    return;
  }
  const d = result.dispense;
  const received = d.notes.map((n) => ({ denomination: n.denomination, count: n.taken }));
  // mixText lists them largest first, as the confirm screen does.
  const values = {
    amount: money(d.amount.value), dispensed: money(d.dispensed.value),
    shortfall: money(d.shortfall.value), mix: mixText(received),
  };
  const phase = d.state === "retracted" ? "retracted"
    : d.outcome === "complete" ? "done" : d.outcome === "partial" ? "partial" : "failed";
  heading.textContent = t(`${phase}.heading`);
  text.textContent = t(`${phase}.text`, values);
  heading.dataset.outcome = phase;
}

export async function restart() {
  showError(null);
  $("amount-input").value = "";
  state.entry = "quick";
  await loadAmounts();
  show("amount");
}
