// Scan screen (/pass/encaisser/): show as many pass rows as the chosen service costs, and scan
// QR codes with the browser's BarcodeDetector when it exists. Manual entry always works.
(() => {
  "use strict";

  const form = document.getElementById("redeem-form");
  if (!form) return;
  const serviceSelect = document.getElementById("id_service");
  const rows = Array.from(form.querySelectorAll("[data-pass-row]"));

  function expectedCount() {
    const option = serviceSelect && serviceSelect.selectedOptions[0];
    const price = option ? parseInt(option.dataset.price, 10) : 1;
    return Number.isFinite(price) && price > 0 ? price : 1;
  }

  function syncRows() {
    const count = expectedCount();
    rows.forEach((row, index) => {
      const visible = index < count;
      row.hidden = !visible;
      row.querySelectorAll("input").forEach((input) => {
        input.disabled = !visible;
      });
    });
  }

  if (serviceSelect) {
    serviceSelect.addEventListener("change", syncRows);
    syncRows();
  }

  // A QR payload is a URL ending in /p/<serial>.<code>; a bare "<serial>.<code>" works too.
  function parsePayload(text) {
    const match = /(?:^|\/p\/)([0-9 ]{10,12})\.([0-9A-Za-z-]{10,12})\s*$/.exec(text.trim());
    return match ? { serial: match[1].replace(/\s/g, ""), code: match[2] } : null;
  }

  function fillNextRow(pass) {
    const visible = rows.filter((row) => !row.hidden);
    for (const row of visible) {
      const serial = row.querySelector("input[name^='serial_']");
      const code = row.querySelector("input[name^='code_']");
      if (serial.value.replace(/\s/g, "") === pass.serial) return "duplicate";
      if (!serial.value.trim() && !code.value.trim()) {
        serial.value = pass.serial;
        code.value = pass.code;
        // Tell scan-offline.js the rows changed (a new idempotency key for this attempt).
        code.dispatchEvent(new Event("input", { bubbles: true }));
        return "filled";
      }
    }
    return "full";
  }

  const camera = document.getElementById("scan-camera");
  const startButton = document.getElementById("scan-start");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  if (!camera || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  camera.hidden = false;

  let stream = null;
  let detector = null;
  let lastText = "";

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    startButton.textContent = "Scanner un QR code avec l'appareil photo";
  }

  async function tick() {
    if (!stream) return;
    try {
      const codes = await detector.detect(video);
      for (const code of codes) {
        if (code.rawValue === lastText) continue;
        lastText = code.rawValue;
        const pass = parsePayload(code.rawValue);
        if (!pass) {
          status.textContent = "QR code non reconnu : ce n'est pas un pass numérique.";
          continue;
        }
        const result = fillNextRow(pass);
        if (result === "filled") {
          status.textContent = `Pass ${pass.serial} ajouté.`;
        } else if (result === "duplicate") {
          status.textContent = `Le pass ${pass.serial} est déjà dans la liste.`;
        } else {
          status.textContent = "Tous les pass attendus sont saisis : vérifiez-les.";
          stop();
          return;
        }
      }
    } catch (error) {
      status.textContent = "Lecture impossible : saisissez le pass à la main.";
    }
    window.setTimeout(tick, 250);
  }

  startButton.addEventListener("click", async () => {
    if (stream) {
      stop();
      return;
    }
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      status.textContent =
        "L'appareil photo n'est pas disponible : saisissez le numéro et le code à la main.";
      stream = null;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    startButton.textContent = "Arrêter l'appareil photo";
    status.textContent = "Visez le QR code du pass.";
    lastText = "";
    tick();
  });
})();
