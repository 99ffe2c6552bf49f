// The screen machine: one screen shows at a time, each drawn by its own renderer, and every
// screen speaks through the same live region and error line.

import { $ } from "./page.js";
import { state } from "./state.js";
import { t } from "./words.js";

let renderers = {};

// Renderers by screen name (the section's id without "screen-"), given once at start.
export function defineScreens(table) {
  renderers = table;
}

export function show(screen) {
  state.screen = screen;
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== `screen-${screen}`;
  }
  render();
  const heading = document.querySelector(`#screen-${screen} h2`);
  heading.focus();
}

export function render() {
  document.documentElement.lang = state.lang;
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-text]")) {
    element.textContent = t(element.dataset.text);
  }
  const language = $("language");
  language.textContent = t("language.switch");
  language.lang = t("language.switch_lang");
  if (!state.terminal) return;
  renderers[state.screen]();
}

export function announce(text) {
  $("live").textContent = "";
  // A fresh node after a tick makes screen readers read the same words again.
  setTimeout(() => { $("live").textContent = text; }, 50);
}

export function showError(error) {
  $("error").textContent = error ? t("error", { message: error.message }) : "";
}
