// Console behaviour that templates opt into with data attributes; no inline scripts.
document.addEventListener("click", (event) => {
  // <button data-confirm="Delete this address?"> asks before submitting its form.
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  // Key/value rows (metadata): add a row, remove a row.
  const add = event.target.closest("[data-kv-add]");
  if (add) {
    const list = document.querySelector(add.dataset.kvAdd);
    const template = list.querySelector("template");
    list.insertBefore(template.content.cloneNode(true), template);
    list.querySelector(".kv-row:last-of-type input")?.focus();
  }
  const remove = event.target.closest("[data-kv-remove]");
  if (remove) {
    remove.closest(".kv-row").remove();
  }
});
