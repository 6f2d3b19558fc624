// Keyclient's only script of its own (the CSP forbids inline handlers).
// Submitting the language form as soon as a language is chosen.
document.addEventListener("change", (event) => {
  const select = event.target.closest(".langswitch select");
  if (select) select.form.submit();
});
