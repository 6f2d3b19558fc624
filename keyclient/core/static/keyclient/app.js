// Keyclient's only script of its own (the CSP forbids inline handlers).
// Submitting the language form as soon as a language is chosen.
document.addEventListener("change", (event) => {
  const select = event.target.closest(".langswitch select");
  if (select) select.form.submit();
});

// A refused request carries its message in the fragment: a bad search or reason (400), a search over
// the rate limit (429). Show it like a success (htmx swaps 2xx only).
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400 || event.detail.xhr.status === 429) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Search while typing ([data-live-search] inputs): every input event asks htmx to search (its trigger
// debounces), except in the middle of an input-method composition (typing pinyin before choosing 汉字),
// which searches once, when the composition ends.
const liveSearch = (input) => input.dispatchEvent(new CustomEvent("kc-search"));
document.addEventListener("input", (event) => {
  const input = event.target.closest && event.target.closest("[data-live-search]");
  if (input && !event.isComposing) liveSearch(input);
});
document.addEventListener("compositionend", (event) => {
  const input = event.target.closest && event.target.closest("[data-live-search]");
  if (input) liveSearch(input);
});
