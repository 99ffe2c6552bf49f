// Paying a held quote out: the host's authorization, the dispense, and waiting for the customer
// to take the notes (retracted when they do not within the page's take time).

import { authorize, createDispense, getDispense, retract } from "./api.js";
import { settings } from "./page.js";

const POLL_MS = 1000;

// Returns the dispense's final state; onPresented runs once the notes wait to be taken.
export async function payOut(held, onPresented) {
  const authorization = await authorize(held.id);
  let outcome = await createDispense(held.id, authorization);
  if (outcome.state === "presented") {
    onPresented();
    outcome = await waitForTake(outcome);
  }
  return outcome;
}

async function waitForTake(presented) {
  const deadline = Date.now() + settings.take_seconds * 1000;
  let outcome = presented;
  while (outcome.state === "presented" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    outcome = await getDispense(outcome.id);
  }
  if (outcome.state === "presented") {
    outcome = await retract(outcome.id);
  }
  return outcome;
}
