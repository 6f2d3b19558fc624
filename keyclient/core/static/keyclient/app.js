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
