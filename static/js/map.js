/* Passnum — Leaflet maps: the public directory's places, and the steering dashboards'
 * territories (circles whose radius grows with the square root of their value) and places.
 * No inline script: the data comes from a <script type="application/json"> element named by
 * data-places ({"places": [...], "circles": [...]}), the tile URL from a data attribute. Without
 * a tile URL the map stays blank but usable (markers, zoom, popups) and asks for no tile; the
 * list or table next to the map is the accessible alternative. */
(function () {
  "use strict";

  var FRANCE = [46.6, 2.4];
  var CIRCLE_MIN = 6; // pixels, for a territory with no pass handed out
  var CIRCLE_MAX = 32; // pixels, for the territory with the most passes handed out

  var STYLES = {
    place: { radius: 8, weight: 2, color: "#1d3f8f", fillColor: "#3b6fd6", fillOpacity: 0.9 },
    smallPlace: {
      radius: 5, weight: 2, color: "#1d3f8f", fillColor: "#ffffff", fillOpacity: 1,
      className: "map-place",
    },
    territory: {
      weight: 2, color: "#1b5e20", fillColor: "#43a047", fillOpacity: 0.35,
      className: "map-territory",
    },
    // Below the PIC target: another colour AND a dashed, thicker outline (not colour alone).
    territoryAlert: {
      weight: 3, color: "#8c1d18", fillColor: "#e8a33d", fillOpacity: 0.45, dashArray: "6 4",
      className: "map-territory map-territory-alert",
    },
  };

  function readData(container) {
    var source = document.getElementById(container.dataset.places || "places-data");
    var empty = { places: [], circles: [] };
    if (!source) return empty;
    try {
      var data = JSON.parse(source.textContent) || {};
      return {
        places: Array.isArray(data.places) ? data.places : [],
        circles: Array.isArray(data.circles) ? data.circles : [],
      };
    } catch (error) {
      return empty;
    }
  }

  function popupContent(item) {
    var wrapper = document.createElement("div");
    var strong = document.createElement("strong");
    if (item.url) {
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.name;
      strong.appendChild(link);
    } else {
      strong.textContent = item.name;
    }
    wrapper.appendChild(strong);
    if (item.address) {
      wrapper.appendChild(document.createElement("br"));
      wrapper.appendChild(document.createTextNode(item.address));
    }
    if (Array.isArray(item.rows) && item.rows.length) {
      var list = document.createElement("dl");
      list.className = "map-popup-figures";
      item.rows.forEach(function (row) {
        var group = document.createElement("div");
        var term = document.createElement("dt");
        term.textContent = row[0] + " :";
        var value = document.createElement("dd");
        value.textContent = row[1];
        group.appendChild(term);
        group.appendChild(value);
        list.appendChild(group);
      });
      wrapper.appendChild(list);
    }
    return wrapper;
  }

  function circleRadius(value, largest) {
    if (!largest || !value) return CIRCLE_MIN;
    return CIRCLE_MIN + (CIRCLE_MAX - CIRCLE_MIN) * Math.sqrt(value / largest);
  }

  function addMarker(L, layer, item, style) {
    var marker = L.circleMarker([item.lat, item.lng], style);
    marker.bindPopup(popupContent(item), { minWidth: 220, maxWidth: 360 });
    marker.bindTooltip(item.name);
    marker.addTo(layer);
    return marker;
  }

  function init(container) {
    if (typeof window.L === "undefined") {
      container.classList.add("directory-map-unavailable");
      container.textContent = "La carte n'a pas pu être chargée : utilisez le tableau ou la liste.";
      return;
    }
    var L = window.L;
    var map = L.map(container, {
      zoomControl: false,
      attributionControl: true,
      fadeAnimation: false, // popups appear at once (and legible for contrast checks)
      zoomSnap: 0.25, // fit the markers closer than whole zoom levels allow
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
    var data = readData(container);
    // Territories first (underneath), then places on top.
    var territories = L.featureGroup().addTo(map);
    var places = L.featureGroup().addTo(map);
    var largest = data.circles.reduce(function (max, c) { return Math.max(max, c.value || 0); }, 0);
    var circles = data.circles.map(function (item) {
      var style = L.Util.extend({}, item.alert ? STYLES.territoryAlert : STYLES.territory);
      style.radius = circleRadius(item.value, largest);
      return addMarker(L, territories, item, style);
    });
    var placeStyle = container.dataset.placeStyle === "small" ? STYLES.smallPlace : STYLES.place;
    var markers = data.places.map(function (item) {
      return addMarker(L, places, item, placeStyle);
    });
    var all = circles.concat(markers);
    if (all.length) {
      var bounds = L.latLngBounds(all.map(function (m) { return m.getLatLng(); }));
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 });
    } else {
      map.setView(FRANCE, 5);
    }
    container.dataset.markers = String(markers.length);
    container.dataset.circles = String(circles.length);
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
