// The amount screen: quick amounts and a keypad, offering only what the terminal can pay now.

import { getDispensable } from "./api.js";
import { loadOptions } from "./mixes.js";
import { $ } from "./page.js";
import { show, showError } from "./screens.js";
import { state } from "./state.js";
import { money, t } from "./words.js";

const QUICK_STEPS = [5, 10, 20, 30, 50, 100];

export function renderAmount() {
  $("screen-amount").dataset.entry = state.entry;
  $("largest").textContent = state.largest
    ? t("amount.largest", { amount: money(state.largest) }) : t("amount.nothing");
  const scale = 10 ** state.exponent;
  const quick = [...new Set(QUICK_STEPS.map((k) => k * state.step))];
  $("quick").replaceChildren(...quick.map((value) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = money(value);
    button.dataset.value = value;
    button.disabled = !state.payable.has(value);
    if (button.disabled) button.setAttribute("aria-label", t("amount.unavailable", {
      amount: money(value) }));
    button.addEventListener("click", () => chooseAmount(value));
    return button;
  }));
  $("amount-label").textContent = t("amount.field", { currency: state.currency });
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"];
  $("keypad").replaceChildren($("keypad-label") || document.createElement("span"),
    ...keys.map((key) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.key = key;
      button.textContent = key === "clear" ? t("amount.clear") : key === "delete" ? "⌫" : key;
      if (key === "delete") button.setAttribute("aria-label", t("amount.delete"));
      button.addEventListener("click", () => keypad(key));
      return button;
    }));
  $("keypad-label").textContent = t("amount.keypad");
  typed(scale);
}

function keypad(key) {
  const input = $("amount-input");
  if (key === "clear") input.value = "";
  else if (key === "delete") input.value = input.value.slice(0, -1);
  else if (input.value.length < input.maxLength) input.value = (input.value + key).replace(/^0+/, "");
  typed(10 ** state.exponent);
}

export function typed(scale) {
  const input = $("amount-input");
  input.value = input.value.replace(/\D/g, "");
  const value = Number(input.value || 0) * scale;
  const ok = value > 0 && state.payable.has(value);
  $("amount-continue").disabled = !ok;
  $("amount-hint").textContent = value > 0 && !ok ? hint(value) : "";
}

function hint(value) {
  const amounts = [...state.payable];
  const below = Math.max(...amounts.filter((a) => a < value), -Infinity);
  const above = Math.min(...amounts.filter((a) => a > value), Infinity);
  const nearest = [below, above].filter(Number.isFinite);
  const tail = nearest.length === 2
    ? t("amount.nearest_two", { below: money(below), above: money(above) })
    : nearest.length === 1 ? t("amount.nearest_one", { amount: money(nearest[0]) }) : "";
  return `${t("amount.not_payable", { amount: money(value) })} ${tail}`;
}

export async function loadAmounts() {
  const dispensable = await getDispensable(state.currency);
  state.payable = new Set(dispensable.amounts);
  state.largest = dispensable.largest;
  state.step = dispensable.step || 1;
}

export function chooseAmount(value) {
  if (!state.payable.has(value)) return;
  state.amount = value;
  state.options = [];
  show("mix");
  loadOptions().catch(showError);
}
