// Passnum: accessible names (in French) for Swagger UI's icon-only buttons, which React renders
// without any text. Loaded after swagger-ui-init.js; no inline script (strict CSP).
(() => {
  const LABELS = [
    [".copy-to-clipboard > button", "Copier dans le presse-papiers"],
    [".close-modal", "Fermer"],
    [".authorization__btn", "Autorisations"],
    [".expand-operation", "Déplier ou replier"],
    [".opblock-control-arrow", "Déplier ou replier"],
    [".model-box-control", "Déplier ou replier"],
  ];
  const name = (root) => {
    for (const [selector, label] of LABELS) {
      root.querySelectorAll(selector).forEach((button) => {
        if (!button.textContent.trim() && !button.hasAttribute("aria-label")) {
          button.setAttribute("aria-label", label);
        }
      });
    }
  };
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  name(root);
  new MutationObserver(() => name(root)).observe(root, { childList: true, subtree: true });
})();
