// Previews and holds for the customer's amount. A preview (hold=false) locks nothing: while the
// customer browses, nothing is locked away from the quote they finally pick (or from the next
// customer); only the pick holds notes.

import { createQuote } from "./api.js";
import { state } from "./state.js";

const quote = (preference, hold) =>
  createQuote({ value: state.amount, currency: state.currency }, preference, hold);

export const preview = (preference) => quote(preference, false);

export const hold = (preference) => quote(preference, true);

// The wish that produced a mix, as the service states it (the kind, for an older service).
export function wishOf(plan) {
  return plan.preference ?? { kind: plan.kind === "options" ? "fewest" : plan.kind };
}
