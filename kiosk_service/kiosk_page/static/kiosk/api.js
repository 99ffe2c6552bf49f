// The requests the page makes: the public HTTP API (/api/v1) with the kiosk key, and the demo
// signer, which stands in for the bank's host in demo mode.

import { settings } from "./page.js";

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

export const getTerminal = () => call("GET", terminalPath());

export const getDispensable = (currency) =>
  call("GET", terminalPath(`/dispensable?currency=${encodeURIComponent(currency)}`));

export const createQuote = (amount, preference, hold) =>
  call("POST", terminalPath("/quotes"), { amount, preference, hold });

export const authorize = (quoteId) => call("POST", settings.signer, { quote_id: quoteId });

export const createDispense = (quoteId, authorization) =>
  call("POST", terminalPath("/dispenses"), {
    quote_id: quoteId,
    authorization: { expires_at: authorization.expires_at, signature: authorization.signature },
  }, { "Idempotency-Key": `kiosk-${quoteId}` });

export const getDispense = (id) => call("GET", terminalPath(`/dispenses/${id}`));

export const retract = (id) => call("POST", terminalPath(`/dispenses/${id}/retract`));
