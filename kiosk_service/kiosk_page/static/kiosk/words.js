// Words and numbers in the customer's language: strings, money, note counts, refusal reasons.

import { settings } from "./page.js";
import { state } from "./state.js";

export function t(key, values = {}) {
  const table = settings.strings[state.lang];
  const text = table[key] ?? settings.strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function locale() {
  return state.lang === "cs" ? "cs-CZ" : "en-GB";
}

export function money(value) {
  const scale = 10 ** state.exponent;
  const whole = value % scale === 0;
  return new Intl.NumberFormat(locale(), {
    style: "currency", currency: state.currency,
    minimumFractionDigits: whole ? 0 : state.exponent, maximumFractionDigits: state.exponent,
  }).format(value / scale);
}

export function notesText(count) {
  const forms = settings.strings[state.lang].notes;
  const form = forms[new Intl.PluralRules(locale()).select(count)] ?? forms.other;
  return form.replace("{count}", new Intl.NumberFormat(locale()).format(count));
}

export function reasonText(reason) {
  const key = `reason.${reason.code}`;
  if (settings.strings[state.lang][key]) {
    return t(key, { note: reason.denomination ? money(reason.denomination) : "" });
  }
  return reason.message;
}
