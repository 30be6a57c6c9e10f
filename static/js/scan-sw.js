// Service worker of the scan screen, served at /pass/encaisser/sw.js (scope /pass/encaisser/),
// registered by scan-offline.js. The network always comes first; the last copy of the scan page
// and of the site's CSS and scripts is kept so that the page still opens without network, and
// the attempts made then are queued on the device. The copy of the page is forgotten after
// 12 hours, and as soon as the server redirects the page (logged out).
const CACHE = "passnum-scan-v1";
const PAGE_MAX_AGE_MS = 12 * 3600 * 1000;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function scopePath() {
  return new URL(self.registration.scope).pathname;
}

function isFresh(response) {
  const stamp = Date.parse(response.headers.get("date") || "");
  return Number.isFinite(stamp) && Date.now() - stamp < PAGE_MAX_AGE_MS;
}

async function networkFirst(request, isPage) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: isPage });
    if (cached && (!isPage || isFresh(cached))) return cached;
    throw error;
  }
  // A navigation is fetched with redirect "manual": a redirect comes back as "opaqueredirect".
  const redirected = response.redirected || response.type === "opaqueredirect";
  if (isPage && redirected) {
    // Logged out (or no longer an operator): do not keep this person's page on the device.
    const keys = await cache.keys();
    await Promise.all(
      keys
        .filter((key) => new URL(key.url).pathname === scopePath())
        .map((key) => cache.delete(key)),
    );
  } else if (response.ok && !redirected) {
    if (isPage) await cache.delete(request, { ignoreSearch: true });
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === "navigate" && url.pathname === scopePath();
  const isAsset =
    url.pathname.startsWith("/static/") && /\.(css|js|svg|png|woff2?)$/.test(url.pathname);
  if (!isPage && !isAsset) return;
  event.respondWith(networkFirst(request, isPage));
});
