// Progressive enhancement only: the server checks everything again.
// On the replenish form, show the running value of the notes typed so far, in the same form as
// the server's money (CZK 30,000: the currency's exponent, no decimals for a whole amount).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-replenish]");
  if (!form) return;
  const sum = form.querySelector("[data-sum]");
  const exponent = Number(form.dataset.exponent || 0);
  const money = (minor) => {
    const whole = minor % 10 ** exponent === 0;
    return new Intl.NumberFormat("en", {
      style: "currency", currency: form.dataset.currency,
      minimumFractionDigits: whole ? 0 : exponent, maximumFractionDigits: exponent,
    }).format(minor / 10 ** exponent);
  };
  const update = () => {
    let total = 0;
    for (const input of form.querySelectorAll("input[data-minor]")) {
      const notes = parseInt(input.value, 10);
      if (notes > 0) total += notes * Number(input.dataset.minor);
    }
    sum.hidden = total === 0;
    sum.textContent = `The notes entered come to ${money(total)}.`;
  };
  form.addEventListener("input", update);
  update();
});

// A form marked data-busy (the load planner: it can take a minute) says so while it runs and
// is not sent twice.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", (event) => {
      const button = form.querySelector("button[type=submit]");
      if (button.disabled) { event.preventDefault(); return; }
      const note = form.querySelector("[data-busy-note]");
      note.textContent = form.dataset.busy;
      note.hidden = false;
      // Disabled after this event, so the browser still sends the form.
      setTimeout(() => { button.disabled = true; }, 0);
    });
  }
});
