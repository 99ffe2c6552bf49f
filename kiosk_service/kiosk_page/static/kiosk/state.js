// The one customer session the screens share: the terminal, the amount, what is shown and held.

export const ALL_KINDS = ["fewest", "small", "mixed", "counts", "bounds", "options"];

export const state = {
  lang: "en", terminal: null, currency: "", exponent: 0, offered: ALL_KINDS,
  denominations: [], payable: new Set(), largest: null, step: 1,
  amount: 0, screen: "amount", entry: "quick", options: [], pages: [[0, 0]], page: 0,
  picking: false, quote: null, counts: {}, ownQuote: null, ownSeq: 0, ownTimer: null,
  dispense: null, result: null, returnTo: null,
};
