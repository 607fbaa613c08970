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

document.addEventListener("click", async (event) => {
  // <button data-copy="ID" data-copy-status="ID"> copies the text of element #ID and says so.
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  const say = (text) => { if (status) status.textContent = text; };
  const text = source.textContent.trim();
  say("");
  try {
    await navigator.clipboard.writeText(text);
    say("Copied");
  } catch {
    // No clipboard (plain http, or permission refused): select the key for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("Selected: press Ctrl+C (⌘C on a Mac) to copy");
  }
});

document.addEventListener("htmx:validation:halted", (event) => {
  // A list filter the browser will not send (a half-typed date is "bad input"): say so where
  // the server's own filter errors go, instead of leaving the list silently unfiltered by it.
  // The next request that goes through replaces this with the server's answer.
  const box = event.target.querySelector("#filter-errors");
  if (!box) return;
  const line = document.createElement("div");
  line.className = "mt-2";
  const icon = document.createElement("i");
  icon.className = "bi bi-exclamation-triangle";
  icon.setAttribute("aria-hidden", "true");
  const texts = event.detail.errors.map(({ elt }) => elt.dataset.invalidMessage || elt.validationMessage);
  line.append(icon, " " + texts.join(" "));
  box.replaceChildren(line);
});

// Styles that come from data (a card's colours, a bar's length). The Content-Security-Policy
// blocks style="" attributes in the HTML but not styles set through the CSSOM, so templates
// write them as data attributes and this sets them, on the page and on what htmx swaps in:
//   data-card-color, data-text-color  → --card-color, --card-text-color (.card-colors uses them)
//   data-percent                      → width, in %
const DATA_STYLED = "[data-card-color], [data-text-color], [data-percent]";

function applyDataStyles(root) {
  const elements = [...root.querySelectorAll(DATA_STYLED)];
  if (root.matches?.(DATA_STYLED)) elements.push(root);
  for (const element of elements) {
    const { cardColor, textColor, percent } = element.dataset;
    if (cardColor) element.style.setProperty("--card-color", cardColor);
    if (textColor) element.style.setProperty("--card-text-color", textColor);
    if (percent !== undefined) element.style.width = `${Number(percent) || 0}%`;
  }
}

applyDataStyles(document);
document.addEventListener("htmx:load", (event) => applyDataStyles(event.target));
