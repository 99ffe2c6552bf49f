// Progressive enhancement only: the server checks everything again.
// On the replenish form, show the running value of the notes typed so far.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-replenish]");
  if (!form) return;
  const sum = form.querySelector("[data-sum]");
  const update = () => {
    let total = 0;
    for (const input of form.querySelectorAll("input[data-face]")) {
      const notes = parseInt(input.value, 10);
      if (notes > 0) total += notes * parseFloat(input.dataset.face);
    }
    sum.hidden = total === 0;
    sum.textContent = `The notes entered come to ${total.toLocaleString()} ${form.dataset.currency}.`;
  };
  form.addEventListener("input", update);
  update();
});
