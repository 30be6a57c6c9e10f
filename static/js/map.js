/* Passnum — the public directory's map (Leaflet). No inline script: the places come from a
 * <script type="application/json"> element, the tile URL from a data attribute. Without a tile
 * URL the map stays blank but usable (markers, zoom, popups); the list is the accessible
 * alternative. */
(function () {
  "use strict";

  var FRANCE = [46.6, 2.4];

  function readPlaces(container) {
    var source = document.getElementById(container.dataset.places || "places-data");
    if (!source) return [];
    try {
      var data = JSON.parse(source.textContent);
      return Array.isArray(data.places) ? data.places : [];
    } catch (error) {
      return [];
    }
  }

  function popupContent(place) {
    var wrapper = document.createElement("div");
    var link = document.createElement("a");
    link.href = place.url;
    link.textContent = place.name;
    var strong = document.createElement("strong");
    strong.appendChild(link);
    wrapper.appendChild(strong);
    wrapper.appendChild(document.createElement("br"));
    wrapper.appendChild(document.createTextNode(place.address));
    return wrapper;
  }

  function init(container) {
    if (typeof window.L === "undefined") {
      container.classList.add("directory-map-unavailable");
      container.textContent = "La carte n'a pas pu être chargée : utilisez la liste des lieux.";
      return;
    }
    var L = window.L;
    var map = L.map(container, {
      zoomControl: false,
      attributionControl: true,
      fadeAnimation: false, // popups appear at once (and legible for contrast checks)
    });
    L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    var tileUrl = container.dataset.tileUrl;
    if (tileUrl) {
      L.tileLayer(tileUrl, {
        attribution: container.dataset.tileAttribution || "",
        maxZoom: 19,
      }).addTo(map);
    } else {
      container.classList.add("directory-map-blank");
    }
    var places = readPlaces(container);
    var markers = places.map(function (place) {
      var marker = L.circleMarker([place.lat, place.lng], {
        radius: 8,
        weight: 2,
        color: "#1d3f8f",
        fillColor: "#3b6fd6",
        fillOpacity: 0.9,
      });
      marker.bindPopup(popupContent(place));
      marker.bindTooltip(place.name);
      return marker.addTo(map);
    });
    if (markers.length) {
      var bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
    } else {
      map.setView(FRANCE, 5);
    }
    container.dataset.markers = String(markers.length);
    container.classList.add("directory-map-ready");
  }

  function start() {
    var containers = document.querySelectorAll(".directory-map");
    for (var i = 0; i < containers.length; i += 1) init(containers[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
