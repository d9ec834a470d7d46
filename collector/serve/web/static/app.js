// netcensus dashboard: draws the charts (uPlot) and keeps polling pages sane. No inline script
// anywhere (the Content-Security-Policy forbids it); chart data come from data-chart attributes.
(function () {
  "use strict";
  var COLOURS = ["#c0392b", "#2471a3", "#7d3c98", "#1e8449", "#b9770e", "#5d6d7e"];

  function draw(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") { return; }
    var spec = JSON.parse(el.dataset.chart);
    var xs = spec.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
    var names = Object.keys(spec.series);
    var data = [xs].concat(names.map(function (n) { return spec.series[n]; }));
    var series = [{}].concat(names.map(function (n, i) {
      return { label: n, stroke: COLOURS[i % COLOURS.length], width: 2 };
    }));
    var width = Math.max(280, el.clientWidth || 600);
    new uPlot({ width: width, height: 200, series: series, axes: [{}, {}], scales: { x: { time: true } } }, data, el);
    el.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  function toLogin() {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  // Live pages: every data-pulse seconds ask /pulse for the live state's generation (a number, no data)
  // and fetch the content again (htmx, hx-trigger="netcensus:changed") only when it moved since the
  // content was rendered. A hidden tab does not ask.
  function watch() {
    var first = document.getElementById("content");
    if (!first || !first.dataset.pulse) { return; }
    var every = Math.max(1, parseInt(first.dataset.pulse, 10) || 2) * 1000;
    var busy = false;
    setInterval(function () {
      var main = document.getElementById("content");
      if (!main || busy || document.hidden) { return; }
      busy = true;
      fetch("/pulse", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 401) { toLogin(); return null; }
        return r.ok ? r.text() : null;
      }).then(function (generation) {
        var now = document.getElementById("content");
        if (generation !== null && now && generation.trim() !== now.dataset.generation && typeof htmx !== "undefined") {
          htmx.trigger(now, "netcensus:changed");
        }
      }).catch(function () { /* the collector restarting: ask again next time */ }).then(function () { busy = false; });
    }, every);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); watch(); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  // A poll answered 401: the session ended; go to the login page instead of showing stale data.
  document.addEventListener("htmx:responseError", function (ev) {
    if (ev.detail.xhr && ev.detail.xhr.status === 401) { toLogin(); }
  });
})();
