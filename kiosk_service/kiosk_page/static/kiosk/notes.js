// How a mix of notes reads and looks, on every screen: largest first, as text and as tiles.

import { state } from "./state.js";
import { money, t } from "./words.js";

// One order everywhere: the largest note first.
export function largestFirst(byDenomination) {
  const counts = new Map();
  for (const n of byDenomination) {
    counts.set(n.denomination, (counts.get(n.denomination) ?? 0) + n.count);
  }
  return [...counts].filter(([, count]) => count > 0).sort(([a], [b]) => b - a)
    .map(([denomination, count]) => ({ denomination, count }));
}

export function mixText(byDenomination) {
  return largestFirst(byDenomination)
    .map((n) => t("tile", { count: n.count, note: money(n.denomination) })).join(", ");
}

export function tileClass(denomination) {
  const index = [...state.denominations].sort((a, b) => a - b).indexOf(denomination);
  return `tile n${Math.max(0, Math.min(index, 6))}`;
}

export function tiles(list, byDenomination) {
  list.replaceChildren(...largestFirst(byDenomination).map((n) => {
    const item = document.createElement("li");
    item.className = tileClass(n.denomination);
    item.textContent = t("tile", { count: n.count, note: money(n.denomination) });
    return item;
  }));
  return list;
}
