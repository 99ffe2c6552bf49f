// The own-mix screen: a stepper per note, a preview of the counts as they change, and a hold of
// the mix when it can be paid (or of the nearest mix the preview found).

import { confirmQuote } from "./confirm.js";
import { largestFirst, mixText, tileClass } from "./notes.js";
import { $ } from "./page.js";
import { hold, preview } from "./quotes.js";
import { show, showError } from "./screens.js";
import { state } from "./state.js";
import { money, reasonText, t } from "./words.js";

const OWN_MIX_DELAY_MS = 250;

export function startOwnMix() {
  showError(null);
  state.counts = Object.fromEntries(state.denominations.map((d) => [d, 0]));
  state.ownQuote = null;
  show("own");
}

function ownTotal() {
  return state.denominations.reduce((sum, d) => sum + d * state.counts[d], 0);
}

// Notes larger than the amount have no row, and no + offers a note the amount has no room for.
function ownDenominations() {
  return state.denominations.filter((d) => d <= state.amount);
}

export function renderOwn() {
  $("own-heading").textContent = t("own.heading", { amount: money(state.amount) });
  const limit = state.terminal.note_limit;
  const left = state.amount - ownTotal();
  const notes = Object.values(state.counts).reduce((sum, n) => sum + n, 0);
  $("own-rows").replaceChildren(...ownDenominations().map((d) => {
    const row = document.createElement("div");
    row.className = "stepper";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", t("own.count", { note: money(d) }));
    const tile = document.createElement("span");
    tile.className = tileClass(d);
    tile.textContent = money(d);
    const fewer = stepButton("−", t("own.fewer", { note: money(d) }), d, -1);
    fewer.disabled = state.counts[d] === 0;
    const count = document.createElement("output");
    count.textContent = state.counts[d];
    count.dataset.denomination = d;
    const more = stepButton("+", t("own.more", { note: money(d) }), d, +1);
    more.disabled = d > left || notes >= limit;
    row.append(tile, fewer, count, more);
    return row;
  }));
  renderOwnFeedback();
}

function stepButton(symbol, label, denomination, change) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = symbol;
  button.setAttribute("aria-label", label);
  button.dataset.denomination = denomination;
  button.dataset.change = change;
  button.addEventListener("click", () => step(denomination, change));
  return button;
}

function step(denomination, change) {
  state.counts[denomination] = Math.max(0, state.counts[denomination] + change);
  state.ownQuote = null;
  const focused = document.activeElement?.getAttribute("aria-label");
  renderOwn();
  // Rebuilding the rows drops focus; keyboard users stay on the button they pressed.
  const buttons = [...$("own-rows").querySelectorAll("button")];
  const pressed = buttons.find((b) => b.getAttribute("aria-label") === focused);
  const fewer = buttons.find((b) => b.dataset.denomination === String(denomination)
                                    && b.dataset.change === "-1");
  (pressed && !pressed.disabled ? pressed : fewer)?.focus();
  clearTimeout(state.ownTimer);
  const seq = ++state.ownSeq;
  if (ownTotal() === 0) return;
  $("own-feedback").setAttribute("aria-busy", "true");
  state.ownTimer = setTimeout(() => checkOwnMix(seq), OWN_MIX_DELAY_MS);
}

function ownCounts() {
  return Object.fromEntries(state.denominations.filter((d) => state.counts[d] > 0)
    .map((d) => [String(d), state.counts[d]]));
}

// Only the latest change's preview counts: an answer to older counts is dropped.
async function checkOwnMix(seq) {
  try {
    const answer = await preview({ kind: "counts", counts: ownCounts() });
    if (seq !== state.ownSeq) return;
    state.ownQuote = answer;
    showError(null);
  } catch (error) {
    if (seq === state.ownSeq) showError(error);
  } finally {
    if (seq === state.ownSeq) {
      $("own-feedback").removeAttribute("aria-busy");
      if (state.screen === "own") renderOwnFeedback();
    }
  }
}

export async function holdOwnMix() {
  showError(null);
  const held = await hold({ kind: "counts", counts: ownCounts() });
  state.ownQuote = held;
  if (held.exact) return confirmQuote(held);
  renderOwnFeedback();  // another customer took the notes since the preview
}

// The nearest mix the preview found is held as exact counts: what the customer saw.
export async function holdAlternative() {
  showError(null);
  const counts = Object.fromEntries(largestFirst(state.ownQuote.plan.by_denomination)
    .map((n) => [String(n.denomination), n.count]));
  confirmQuote(await hold({ kind: "counts", counts }));
}

function renderOwnFeedback() {
  const feedback = $("own-feedback");
  const lines = [];
  const left = state.amount - ownTotal();
  if (left > 0) lines.push(["", t("own.remaining", { amount: money(left) })]);
  if (left < 0) lines.push(["bad", t("own.over", { amount: money(-left) })]);
  const answer = state.ownQuote;
  $("own-continue").disabled = !(answer && answer.exact);
  if (answer && answer.exact) {
    lines.push(["good", t("own.payable")]);
  } else if (answer && left === 0) {
    const reasons = answer.plan.reasons.map(reasonText).join("; ");
    lines.push(["bad", t("own.cannot", { reason: reasons })]);
  }
  const parts = lines.map(([kind, text]) => {
    const p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    return p;
  });
  const alternative = answer && !answer.exact;
  if (alternative) {
    const p = document.createElement("p");
    p.textContent = t("own.alternative", { mix: mixText(answer.plan.by_denomination) });
    parts.push(p);
  }
  // The nearest payable mix takes the place of Continue, which this mix cannot use.
  $("use-alternative").hidden = !alternative;
  $("own-continue").hidden = alternative;
  feedback.replaceChildren(...parts);
}
