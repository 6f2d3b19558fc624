// Keyclient's only script of its own (the CSP forbids inline handlers).
// Submitting the language form as soon as a language is chosen.
document.addEventListener("change", (event) => {
  const select = event.target.closest(".langswitch select");
  if (select) select.form.submit();
});

// A 400 answer to an htmx request carries the message to show (a bad search, a refused reason):
// swap it in like a success instead of dropping it.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
