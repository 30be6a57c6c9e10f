// Scan screen (/pass/encaisser/) and its confirm step without network. Progressive enhancement:
// without JavaScript the server-side form (check, confirm, receipt) works as before.
//
// - Each attempt carries an idempotency key, a UUID made when the pass rows are filled (a new one
//   when the rows, the place or the service change). It goes into the form's hidden field too.
// - On « Vérifier les pass », if the device is offline (navigator.onLine false, or the last
//   request to the server failed: then /pass/encaisser/reseau/ is tried every 20 s), the attempt
//   is queued in localStorage with its key and shown in « En attente d'envoi (hors ligne) ».
//   Online, the form is posted as usual (server-side check, confirm, receipt). On the confirm
//   step, an offline « Confirmer » queues the checked passes with the confirm form's key.
// - The queue is sent through POST /api/v1/redemptions with the SAME key (a retry never redeems
//   twice) when the network comes back (the `online` event), on page load, or with
//   « Renvoyer maintenant ». Refusals are shown pass by pass from the API's verdicts.
// - Codes are kept on the device only while an attempt waits; they are dropped once it is sent
//   or refused.
(() => {
  "use strict";

  const section = document.getElementById("offline-queue");
  if (!section || !window.fetch || !window.localStorage) return;
  const form = document.getElementById("redeem-form"); // step 1: place, service, passes
  const confirmForm = document.getElementById("confirm-form"); // step 2: confirm

  const settings = section.dataset;
  const STORAGE_KEY = `passnum:scan-queue:${settings.user}`;
  const SENT_KEPT_MS = 24 * 3600 * 1000;
  const PING_TIMEOUT_MS = 5000;
  const PROBE_EVERY_MS = 20000;

  const list = document.getElementById("offline-queue-list");
  const empty = document.getElementById("offline-queue-empty");
  const banner = document.getElementById("offline-banner");
  const entries = document.getElementById("offline-queue-entries");
  const resend = document.getElementById("offline-resend");
  const resendRow = document.getElementById("offline-resend-row");
  const live = document.getElementById("offline-status");
  const formError = document.getElementById("offline-form-error");
  const keyInput = form && form.querySelector("input[name='idempotency_key']");
  const placeSelect = document.getElementById("id_place");
  const serviceSelect = document.getElementById("id_service");

  const dateFormat = new Intl.DateTimeFormat("fr-FR", {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  const euroFormat = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

  // ------------------------------------------------------------------ keys and storage

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
    return [...parts, hex.slice(20)].join("-");
  }

  function load() {
    try {
      const value = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  function save(queue) {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(queue));
      return true;
    } catch (error) {
      announce("Impossible d'enregistrer sur cet appareil (mémoire pleine ou navigation privée).");
      return false;
    }
  }

  function update(key, changes) {
    const queue = load();
    const entry = queue.find((e) => e.key === key);
    if (entry) Object.assign(entry, changes);
    save(queue);
  }

  function prune() {
    const now = Date.now();
    const queue = load();
    const kept = queue.filter(
      (e) => e.state === "pending" || now - Date.parse(e.updatedAt || e.createdAt) < SENT_KEPT_MS,
    );
    if (kept.length !== queue.length) save(kept);
  }

  // ------------------------------------------------------------------ the form

  function announce(text) {
    live.textContent = "";
    window.setTimeout(() => {
      live.textContent = text;
    }, 50);
  }

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = !text;
  }

  function normalSerial(value) {
    return value.replace(/[\s.-]/g, "");
  }

  function visibleRows() {
    return Array.from(form.querySelectorAll("[data-pass-row]")).filter((row) => !row.hidden);
  }

  function currentPasses() {
    return visibleRows()
      .map((row) => ({
        serial: normalSerial(row.querySelector("input[name^='serial_']").value),
        code: row.querySelector("input[name^='code_']").value.trim(),
      }))
      .filter((p) => p.serial || p.code);
  }

  let signature = null;
  function refreshKey() {
    const passes = currentPasses();
    const next = JSON.stringify([placeSelect.value, serviceSelect.value, passes]);
    if (next === signature) return;
    signature = next;
    if (passes.length) keyInput.value = uuid();
  }

  function selectedService() {
    const option = serviceSelect.selectedOptions[0];
    const price = option ? parseInt(option.dataset.price, 10) : 1;
    return {
      label: option ? option.textContent.trim() : "",
      title: option ? option.dataset.title || option.textContent.trim() : "",
      price: Number.isFinite(price) && price > 0 ? price : 1,
    };
  }

  function localProblem(passes, service, queue) {
    if (!passes.length) return "Indiquez au moins un pass (numéro et code).";
    const seen = new Set();
    for (const p of passes) {
      if (!/^[0-9]{10}$/.test(p.serial)) {
        return `Pass ${p.serial || "(sans numéro)"} : le numéro doit compter 10 chiffres.`;
      }
      if (p.code.replace(/[\s-]/g, "").length !== 10) {
        return `Pass ${p.serial} : le code doit compter 10 caractères.`;
      }
      if (seen.has(p.serial)) return `Le pass ${p.serial} figure deux fois dans la liste.`;
      seen.add(p.serial);
      const waiting = queue.find(
        (e) => e.state === "pending" && e.passes.some((q) => q.serial === p.serial),
      );
      if (waiting) return `Le pass ${p.serial} est déjà en attente d'envoi sur cet appareil.`;
    }
    if (passes.length !== service.price) {
      return (
        `Le service « ${service.title} » vaut ${service.price} pass : ` +
        `vous en avez présenté ${passes.length}.`
      );
    }
    return "";
  }

  function clearRows() {
    form.querySelectorAll("[data-pass-row] input").forEach((input) => {
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    signature = null;
    keyInput.value = uuid();
  }

  // Adds an attempt to the queue: false when it is already there (same key) or not saved.
  function enqueue(attempt) {
    const queue = load();
    if (queue.some((e) => e.key === attempt.key)) {
      announce("Cet encaissement est déjà en attente d'envoi.");
      return false;
    }
    const now = new Date().toISOString();
    queue.push({
      ...attempt,
      createdAt: now,
      updatedAt: now,
      state: "pending",
      message: "",
      verdicts: [],
    });
    if (!save(queue)) return false;
    render();
    announce(
      `Pas de réseau : encaissement de ${attempt.passes.length} pass mis en attente sur cet ` +
        "appareil. Il sera envoyé au retour du réseau.",
    );
    return true;
  }

  function queueCurrent() {
    refreshKey();
    const passes = currentPasses();
    const service = selectedService();
    const problem = localProblem(passes, service, load());
    if (problem) {
      showFormError(problem);
      return;
    }
    showFormError("");
    const queued = enqueue({
      key: keyInput.value,
      operatorId: parseInt(form.dataset.operator, 10),
      placeId: parseInt(placeSelect.value, 10),
      serviceId: parseInt(serviceSelect.value, 10),
      placeLabel: placeSelect.selectedOptions[0].textContent.trim(),
      serviceLabel: service.label,
      passes,
    });
    if (queued) clearRows();
  }

  // Step 2 offline: the checked passes are queued with the key of the confirm form.
  function queueConfirmed() {
    const data = confirmForm.dataset;
    const passes = [];
    for (let i = 1; ; i += 1) {
      const serial = confirmForm.querySelector(`input[name='serial_${i}']`);
      const code = confirmForm.querySelector(`input[name='code_${i}']`);
      if (!serial || !code) break;
      passes.push({ serial: normalSerial(serial.value), code: code.value.trim() });
    }
    const queued = enqueue({
      key: confirmForm.querySelector("input[name='idempotency_key']").value,
      operatorId: parseInt(data.operator, 10),
      placeId: parseInt(data.place, 10),
      serviceId: parseInt(data.service, 10),
      placeLabel: data.placeLabel,
      serviceLabel: data.serviceLabel,
      passes,
    });
    if (queued) {
      confirmForm.querySelectorAll("button[type='submit']").forEach((button) => {
        button.disabled = true;
      });
    }
  }

  // Known unreachable: navigator.onLine is false, or the last request to the server failed (the
  // device says it is online but nothing gets through). The submit handler must decide at once
  // (the server-side flow is a plain form post), so it relies on what is known now.
  let unreachable = false;
  let probeTimer = null;

  function offline() {
    return !navigator.onLine || unreachable;
  }

  function markUnreachable() {
    unreachable = true;
    if (probeTimer === null) probeTimer = window.setInterval(probe, PROBE_EVERY_MS);
    render();
  }

  function markReachable() {
    unreachable = false;
    if (probeTimer !== null) window.clearInterval(probeTimer);
    probeTimer = null;
  }

  async function probe() {
    if (!navigator.onLine) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), PING_TIMEOUT_MS);
    try {
      await window.fetch(settings.pingUrl, {
        cache: "no-store",
        credentials: "same-origin",
        signal: controller.signal,
      });
    } catch (error) {
      return;
    } finally {
      window.clearTimeout(timer);
    }
    markReachable();
    render();
    announce("Réseau rétabli : envoi des encaissements en attente.");
    flush();
  }

  if (form) {
    form.addEventListener("input", refreshKey);
    form.addEventListener("change", refreshKey);
    form.addEventListener("submit", (event) => {
      const submitter = event.submitter;
      if (submitter && submitter.value && submitter.value !== "check") return;
      refreshKey();
      if (!offline()) return; // online: the server-side flow (check, confirm, receipt)
      event.preventDefault();
      queueCurrent();
    });
  }
  if (confirmForm) {
    confirmForm.addEventListener("submit", (event) => {
      if (!offline()) return; // online: the server redeems and shows the receipt
      event.preventDefault();
      queueConfirmed();
    });
  }

  // ------------------------------------------------------------------ sending

  function csrfToken() {
    const input = document.querySelector("input[name='csrfmiddlewaretoken']");
    return input ? input.value : "";
  }

  async function send(entry) {
    let response;
    try {
      response = await window.fetch(settings.apiUrl, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": entry.key,
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({
          operator_id: entry.operatorId,
          place_id: entry.placeId,
          service_id: entry.serviceId,
          passes: entry.passes.map((p) => ({ serial: p.serial, code: p.code })),
        }),
      });
    } catch (error) {
      update(entry.key, { message: "Pas de réseau : nouvel essai au retour du réseau." });
      markUnreachable();
      return "offline";
    }
    markReachable();
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = {};
    }
    const detail = typeof body.detail === "string" ? body.detail : "";
    const now = new Date().toISOString();
    const withoutCodes = entry.passes.map((p) => ({ serial: p.serial }));
    if (response.status === 201) {
      update(entry.key, {
        state: "sent",
        updatedAt: now,
        passes: withoutCodes,
        redemptionId: body.id,
        amountCents: body.amount_cents,
        message: "",
        verdicts: [],
      });
      return "sent";
    }
    const csrfFailed = response.status === 403 && /CSRF/.test(detail);
    if ([400, 403, 404, 409, 422].includes(response.status) && !csrfFailed) {
      const verdicts = Array.isArray(body.passes)
        ? body.passes.filter((v) => v && v.reason !== "valid")
        : [];
      update(entry.key, {
        state: "refused",
        updatedAt: now,
        passes: withoutCodes,
        conflict: response.status === 409,
        message: detail || "Encaissement refusé : les données envoyées ne sont pas valables.",
        verdicts: verdicts.map((v) => ({ serial: v.serial, message: v.message })),
      });
      return "refused";
    }
    if (response.status === 401 || csrfFailed) {
      update(entry.key, {
        message:
          "Votre session a expiré : reconnectez-vous (ou rechargez cette page), puis touchez " +
          "« Renvoyer maintenant ». L'encaissement reste en attente sur cet appareil.",
      });
      return "stop";
    }
    update(entry.key, {
      message:
        detail ||
        `Le serveur n'a pas pu traiter l'envoi (erreur ${response.status}) : ` +
          "nouvel essai plus tard.",
    });
    return "stop";
  }

  let sending = false;
  async function flush() {
    if (sending) return;
    const pending = load().filter((e) => e.state === "pending");
    if (!pending.length) {
      render();
      return;
    }
    if (!navigator.onLine) {
      render();
      announce("Toujours hors ligne : les encaissements restent en attente sur cet appareil.");
      return;
    }
    sending = true;
    resend.disabled = true;
    announce(`Envoi de ${pending.length} encaissement${pending.length > 1 ? "s" : ""} en attente…`);
    const counts = { sent: 0, refused: 0 };
    let stopped = false;
    for (const entry of pending) {
      const result = await send(entry);
      if (result in counts) counts[result] += 1;
      if (result === "offline" || result === "stop") {
        stopped = true;
        break;
      }
    }
    sending = false;
    resend.disabled = false;
    render();
    const parts = [];
    const plural = (n) => (n > 1 ? "s" : "");
    if (counts.sent) {
      parts.push(`${counts.sent} encaissement${plural(counts.sent)} envoyé${plural(counts.sent)}`);
    }
    if (counts.refused) parts.push(`${counts.refused} refusé${plural(counts.refused)}`);
    if (stopped) parts.push("le reste est toujours en attente");
    announce(parts.length ? `${parts.join(", ")}.` : "Aucun envoi possible pour l'instant.");
  }

  // ------------------------------------------------------------------ the list

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  const STATES = {
    pending: ["En attente d'envoi", "badge badge-warning"],
    sent: ["Envoyé : encaissé", "badge badge-success"],
    refused: ["Refusé : rien n'a été encaissé", "badge badge-danger"],
  };

  function renderEntry(entry) {
    const item = element("li", "", "card");
    item.dataset.key = entry.key;
    item.dataset.state = entry.state;
    const serials = entry.passes.map((p) => p.serial);
    item.append(element("h3", `${entry.serviceLabel} — ${serials.length} pass`));
    const facts = element("p", "");
    facts.append(`Lieu : ${entry.placeLabel}`);
    facts.append(document.createElement("br"));
    facts.append(`Saisi le ${dateFormat.format(new Date(entry.createdAt))}`);
    item.append(facts);
    const [label, badgeClass] = STATES[entry.state] || STATES.pending;
    item.append(element("p", label, badgeClass));
    if (entry.state === "sent" && entry.redemptionId) {
      const line = element("p", "");
      if (Number.isFinite(entry.amountCents)) {
        line.append(`${euroFormat.format(entry.amountCents / 100)} — `);
      }
      const link = element("a", `Reçu n° ${entry.redemptionId}`);
      link.href = settings.receiptUrl.replace(/0\/$/, `${entry.redemptionId}/`);
      line.append(link);
      item.append(line);
    }
    if (entry.message) {
      item.append(element("p", entry.message, entry.state === "refused" ? "errorlist" : "help"));
    }
    const verdicts = new Map((entry.verdicts || []).map((v) => [v.serial, v.message]));
    const passes = element("ul", "");
    for (const serial of serials) {
      const message = verdicts.get(serial);
      passes.append(element("li", message ? `Pass ${serial} : ${message}` : `Pass ${serial}`));
    }
    item.append(passes);
    if (entry.state !== "pending") {
      const remove = element(
        "button",
        "Retirer de la liste",
        "button button-secondary button-small",
      );
      remove.type = "button";
      remove.setAttribute(
        "aria-label",
        `Retirer de la liste l'encaissement des pass ${serials.join(", ")}`,
      );
      remove.addEventListener("click", () => {
        save(load().filter((e) => e.key !== entry.key));
        render();
        announce(`Encaissement des pass ${serials.join(", ")} retiré de la liste.`);
      });
      item.append(remove);
    }
    return item;
  }

  function render() {
    const queue = load();
    banner.hidden = !offline();
    section.hidden = !queue.length && !offline();
    list.replaceChildren(...queue.map(renderEntry));
    // The [hidden] attribute goes on wrappers: .button and .cards set their own display.
    entries.hidden = !queue.length;
    const pending = queue.filter((e) => e.state === "pending").length;
    empty.hidden = pending > 0;
    resendRow.hidden = pending === 0;
  }

  window.addEventListener("online", () => {
    markReachable();
    render();
    announce("Réseau rétabli : envoi des encaissements en attente.");
    flush();
  });
  window.addEventListener("offline", () => {
    render();
    announce("Réseau perdu : les encaissements seront mis en attente sur cet appareil.");
  });
  window.addEventListener("storage", (event) => {
    if (event.key === STORAGE_KEY) render();
  });
  resend.addEventListener("click", flush);

  prune();
  if (form) {
    refreshKey();
    // Keeps a copy of this page on the device, so that it opens without network (scan-sw.js).
    if ("serviceWorker" in navigator && settings.swUrl) {
      navigator.serviceWorker.register(settings.swUrl).catch(() => {});
    }
  }
  render();
  if (navigator.onLine) flush();
})();
