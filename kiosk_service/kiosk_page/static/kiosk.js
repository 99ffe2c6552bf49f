// The reference kiosk screen. It uses only the public HTTP API (/api/v1) with a kiosk key;
// the one exception is the demo signer, which stands in for the bank's host in demo mode.
"use strict";

const settings = JSON.parse(document.getElementById("kiosk-settings").textContent);
const ALL_KINDS = ["fewest", "small", "mixed", "counts", "bounds", "options"];
const QUICK_STEPS = [5, 10, 20, 30, 50, 100];
const OWN_MIX_DELAY_MS = 250;
const POLL_MS = 1000;

const state = {
  lang: "en", terminal: null, currency: "", exponent: 0, offered: ALL_KINDS,
  denominations: [], payable: new Set(), largest: null, step: 1,
  amount: 0, screen: "amount", entry: "quick", options: [], pages: [[0, 0]], page: 0,
  picking: false, quote: null, counts: {}, ownQuote: null, ownSeq: 0, ownTimer: null,
  dispense: null, result: null,
};

const $ = (id) => document.getElementById(id);

// ---- words and numbers ----------------------------------------------------------------------

function t(key, values = {}) {
  const table = settings.strings[state.lang];
  const text = table[key] ?? settings.strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function locale() {
  return state.lang === "cs" ? "cs-CZ" : "en-GB";
}

function money(value) {
  const scale = 10 ** state.exponent;
  const whole = value % scale === 0;
  return new Intl.NumberFormat(locale(), {
    style: "currency", currency: state.currency,
    minimumFractionDigits: whole ? 0 : state.exponent, maximumFractionDigits: state.exponent,
  }).format(value / scale);
}

function notesText(count) {
  const forms = settings.strings[state.lang].notes;
  const form = forms[new Intl.PluralRules(locale()).select(count)] ?? forms.other;
  return form.replace("{count}", new Intl.NumberFormat(locale()).format(count));
}

// One order everywhere: the largest note first.
function largestFirst(byDenomination) {
  const counts = new Map();
  for (const n of byDenomination) {
    counts.set(n.denomination, (counts.get(n.denomination) ?? 0) + n.count);
  }
  return [...counts].filter(([, count]) => count > 0).sort(([a], [b]) => b - a)
    .map(([denomination, count]) => ({ denomination, count }));
}

function mixText(byDenomination) {
  return largestFirst(byDenomination)
    .map((n) => t("tile", { count: n.count, note: money(n.denomination) })).join(", ");
}

function tileClass(denomination) {
  const index = [...state.denominations].sort((a, b) => a - b).indexOf(denomination);
  return `tile n${Math.max(0, Math.min(index, 6))}`;
}

function tiles(list, byDenomination) {
  list.replaceChildren(...largestFirst(byDenomination).map((n) => {
    const item = document.createElement("li");
    item.className = tileClass(n.denomination);
    item.textContent = t("tile", { count: n.count, note: money(n.denomination) });
    return item;
  }));
  return list;
}

function reasonText(reason) {
  const key = `reason.${reason.code}`;
  if (settings.strings[state.lang][key]) {
    return t(key, { note: reason.denomination ? money(reason.denomination) : "" });
  }
  return reason.message;
}

function announce(text) {
  $("live").textContent = "";
  // A fresh node after a tick makes screen readers read the same words again.
  setTimeout(() => { $("live").textContent = text; }, 50);
}

// ---- the HTTP API ---------------------------------------------------------------------------

async function call(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": `Bearer ${settings.key}`, "Content-Type": "application/json",
               ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.message || response.statusText);
    error.body = data;
    throw error;
  }
  return data;
}

const terminalPath = (path = "") =>
  `${settings.api}/terminals/${encodeURIComponent(settings.terminal)}${path}`;

// hold=false asks for a preview: while the customer browses, nothing is locked away from the
// quote they finally pick (or from the next customer); only the pick holds notes.
function quote(preference, hold) {
  return call("POST", terminalPath("/quotes"), {
    amount: { value: state.amount, currency: state.currency }, preference, hold,
  });
}

function showError(error) {
  $("error").textContent = error ? t("error", { message: error.message }) : "";
}

// ---- screens --------------------------------------------------------------------------------

function show(screen) {
  state.screen = screen;
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== `screen-${screen}`;
  }
  render();
  const heading = document.querySelector(`#screen-${screen} h2`);
  heading.focus();
}

function render() {
  document.documentElement.lang = state.lang;
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-text]")) {
    element.textContent = t(element.dataset.text);
  }
  const language = $("language");
  language.textContent = t("language.switch");
  language.lang = t("language.switch_lang");
  if (!state.terminal) return;
  ({ amount: renderAmount, mix: renderMix, own: renderOwn, confirm: renderConfirm,
     result: renderResult })[state.screen]();
}

// ---- amount ---------------------------------------------------------------------------------

function renderAmount() {
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

function typed(scale) {
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

async function loadAmounts() {
  const dispensable = await call("GET",
    terminalPath(`/dispensable?currency=${encodeURIComponent(state.currency)}`));
  state.payable = new Set(dispensable.amounts);
  state.largest = dispensable.largest;
  state.step = dispensable.step || 1;
}

function chooseAmount(value) {
  if (!state.payable.has(value)) return;
  state.amount = value;
  state.options = [];
  show("mix");
  loadOptions().catch(showError);
}

// ---- ready mixes ----------------------------------------------------------------------------

// The wish that produced a mix, as the service states it (the kind, for an older service).
function wishOf(plan) {
  return plan.preference ?? { kind: plan.kind === "options" ? "fewest" : plan.kind };
}

function labelOf(plan) {
  const wish = wishOf(plan);
  if (wish.kind === "bounds" && wish.exclude?.length === 1 && !wish.min && !wish.max) {
    return t("mix.label.no", { note: money(Number(wish.exclude[0])) });
  }
  const key = `mix.label.${plan.label || wish.kind}`;
  return settings.strings.en[key] ? t(key) : t("mix.label.other");
}

// Browsing holds nothing: the menu comes from previews, and only the pick is held.
async function loadOptions() {
  const simple = ["fewest", "small", "mixed"];
  let plans = [];
  if (state.offered.includes("options")) {
    const menu = await quote({ kind: "options" }, false);
    plans = [menu.plan, ...menu.alternatives];
  } else {
    for (const kind of state.offered.filter((k) => simple.includes(k))) {
      plans.push((await quote({ kind }, false)).plan);
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

function renderMix() {
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

function nextPage() {
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
    confirmQuote(await quote(wishOf(plan), true));
  } finally {
    state.picking = false;
  }
}

// ---- my own mix -----------------------------------------------------------------------------

function startOwnMix() {
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

function renderOwn() {
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

async function checkOwnMix(seq) {
  try {
    const answer = await quote({ kind: "counts", counts: ownCounts() }, false);
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

async function holdOwnMix() {
  showError(null);
  const held = await quote({ kind: "counts", counts: ownCounts() }, true);
  state.ownQuote = held;
  if (held.exact) return confirmQuote(held);
  renderOwnFeedback();  // another customer took the notes since the preview
}

// The nearest mix the preview found is held as exact counts: what the customer saw.
async function holdAlternative() {
  showError(null);
  const counts = Object.fromEntries(largestFirst(state.ownQuote.plan.by_denomination)
    .map((n) => [String(n.denomination), n.count]));
  confirmQuote(await quote({ kind: "counts", counts }, true));
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

// ---- confirm and dispense -------------------------------------------------------------------

function confirmQuote(held) {
  state.quote = held;
  state.returnTo = state.screen;
  show("confirm");
  announce(`${$("confirm-text").textContent} ${mixText(held.plan.by_denomination)}`);
}

function renderConfirm() {
  $("confirm-text").textContent = t("confirm.mix", { amount: money(state.quote.amount.value) });
  tiles($("confirm-tiles"), state.quote.plan.by_denomination);
  $("dispense").disabled = false;
}

async function dispense() {
  $("dispense").disabled = true;
  showError(null);
  state.result = { phase: "wait" };
  show("result");
  announce(t("wait.counting"));
  try {
    const held = state.quote;
    const authorization = await call("POST", settings.signer, { quote_id: held.id });
    let outcome = await call("POST", terminalPath("/dispenses"), {
      quote_id: held.id,
      authorization: { expires_at: authorization.expires_at, signature: authorization.signature },
    }, { "Idempotency-Key": `kiosk-${held.id}` });
    if (outcome.state === "presented") {
      state.result = { phase: "take" };
      render();
      announce(`${t("take.heading")}. ${t("take.text")}`);
      outcome = await waitForTake(outcome);
    }
    state.result = { phase: "outcome", dispense: outcome };
    render();
    announce(`${$("result-heading").textContent}. ${$("result-text").textContent}`);
  } catch (error) {
    state.result = { phase: "error" };
    render();
    showError(error);
  }
}

async function waitForTake(presented) {
  const deadline = Date.now() + settings.take_seconds * 1000;
  let outcome = presented;
  while (outcome.state === "presented" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    outcome = await call("GET", terminalPath(`/dispenses/${outcome.id}`));
  }
  if (outcome.state === "presented") {
    outcome = await call("POST", terminalPath(`/dispenses/${outcome.id}/retract`));
  }
  return outcome;
}

function renderResult() {
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

async function restart() {
  showError(null);
  $("amount-input").value = "";
  state.entry = "quick";
  await loadAmounts();
  show("amount");
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
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
    const terminal = await call("GET", terminalPath());
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
