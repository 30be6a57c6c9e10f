// Passnum: small progressive enhancements. Everything works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons for secrets shown once (API tokens).
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.copyTarget);
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = "Copié";
      }
    });
  });
});
