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

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  // A poll answered 401: the session ended; go to the login page instead of showing stale data.
  document.addEventListener("htmx:responseError", function (ev) {
    if (ev.detail.xhr && ev.detail.xhr.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
    }
  });
})();
