// The ready mixes screen: a menu of previews for the amount, paged to fit; a pick holds its mix.

import { confirmQuote } from "./confirm.js";
import { mixText, tiles } from "./notes.js";
import { $, settings } from "./page.js";
import { hold, preview, wishOf } from "./quotes.js";
import { announce, showError } from "./screens.js";
import { state } from "./state.js";
import { money, notesText, t } from "./words.js";

function labelOf(plan) {
  const wish = wishOf(plan);
  if (wish.kind === "bounds" && wish.exclude?.length === 1 && !wish.min && !wish.max) {
    return t("mix.label.no", { note: money(Number(wish.exclude[0])) });
  }
  const key = `mix.label.${plan.label || wish.kind}`;
  return settings.strings.en[key] ? t(key) : t("mix.label.other");
}

// Browsing holds nothing: the menu comes from previews, and only the pick is held.
export async function loadOptions() {
  const simple = ["fewest", "small", "mixed"];
  let plans = [];
  if (state.offered.includes("options")) {
    const menu = await preview({ kind: "options" });
    plans = [menu.plan, ...menu.alternatives];
  } else {
    for (const kind of state.offered.filter((k) => simple.includes(k))) {
      plans.push((await preview({ kind })).plan);
    }
  }
  const rank = (plan) => {
    const index = state.offered.indexOf(wishOf(plan).kind);
    return index < 0 ? Infinity : index;
  };
  // The menu's first plan reappears among its alternatives: show each mix once.
  const seen = new Set();
  const distinct = plans.filter((plan) => {
    const mix = mixText(plan.by_denomination);
    return !seen.has(mix) && seen.add(mix);
  });
  state.options = distinct.filter((plan) => plan.exact && rank(plan) !== Infinity)
    .map((plan, index) => ({ plan, index })).sort((a, b) => rank(a.plan) - rank(b.plan)
      || a.index - b.index).map(({ plan }) => plan);
  state.page = 0;
  if (state.screen === "mix") renderMix();
}

function optionButton(plan) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "option";
  const title = document.createElement("strong");
  title.textContent = labelOf(plan);
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = notesText(plan.notes);
  const list = tiles(document.createElement("ul"), plan.by_denomination);
  list.className = "tiles";
  button.append(title, list, count);
  button.addEventListener("click", () => pickOption(plan).catch(showError));
  return button;
}

export function renderMix() {
  $("mix-heading").textContent = t("mix.heading", { amount: money(state.amount) });
  $("own-mix").hidden = !state.offered.includes("counts");
  const more = $("more-mixes");
  if (!state.options.length) {
    const loading = document.createElement("p");
    loading.textContent = t("mix.loading", { amount: money(state.amount) });
    $("options").replaceChildren(loading);
    more.hidden = true;
    return;
  }
  more.hidden = true;
  state.pages = pagesThatFit();
  if (state.pages.length > 1) {
    more.hidden = false;       // the button may take room from the mixes: measure again
    more.textContent = t("mix.more", { page: 1, pages: state.pages.length });
    state.pages = pagesThatFit();
  }
  more.hidden = state.pages.length < 2;
  state.page = Math.min(state.page, state.pages.length - 1);
  const [first, last] = state.pages[state.page];
  $("options").replaceChildren(...state.options.slice(first, last).map(optionButton));
  more.textContent = t("mix.more", { page: state.page + 1, pages: state.pages.length });
}

// The screen never scrolls: split the mixes into pages of as many as the box shows whole.
function pagesThatFit() {
  const box = $("options");
  const pages = [];
  for (let first = 0; first < state.options.length;) {
    box.replaceChildren(...state.options.slice(first).map(optionButton));
    const shown = [...box.children].filter((card) =>
      card.offsetTop + card.offsetHeight <= box.clientHeight).length;
    const last = first + Math.max(1, shown);
    pages.push([first, last]);
    first = last;
  }
  return pages;
}

export function nextPage() {
  state.page = (state.page + 1) % state.pages.length;
  renderMix();
  announce(`${$("more-mixes").textContent}: ${[...$("options").children]
    .map((card) => card.querySelector("strong").textContent).join(", ")}`);
}

// The one hold of a withdrawal: the picked mix's own wish, asked for again with hold.
async function pickOption(plan) {
  if (state.picking) return;
  showError(null);
  state.picking = true;
  try {
    confirmQuote(await hold(wishOf(plan)));
  } finally {
    state.picking = false;
  }
}
