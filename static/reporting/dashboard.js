// The live dashboard's charts (reporting/dashboard): each canvas is drawn from the table that
// holds its numbers (data-source), so the chart and the table never disagree. Tiles are swapped
// by htmx every few seconds: a tile's charts are destroyed before it goes and drawn when it comes.
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#6c757d", "#d63384", "#198754", "#fd7e14"];

  function number(cell) {
    var value = parseFloat(cell && cell.getAttribute("data-number"));
    return isNaN(value) ? 0 : value;
  }

  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute("data-source"));
    if (!table || !window.Chart) { return; }
    var columns = (table.getAttribute("data-series-columns") || "1").split(",").map(Number);
    var headers = table.tHead.rows[0].cells;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var kind = canvas.getAttribute("data-chart") || "bar";
    var datasets = columns.map(function (column, index) {
      return {
        label: headers[column].textContent.trim(),
        data: rows.map(function (row) { return number(row.cells[column]); }),
        backgroundColor: COLOURS[index % COLOURS.length],
        borderColor: COLOURS[index % COLOURS.length],
        borderDash: index ? [4, 3] : [],
        tension: 0.25
      };
    });
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    new window.Chart(canvas, {
      type: kind,
      data: { labels: rows.map(function (row) { return row.cells[0].textContent.trim(); }), datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: canvas.getAttribute("data-horizontal") ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  function drawIn(root) {
    Array.prototype.forEach.call(root.querySelectorAll("canvas[data-chart]"), draw);
  }

  function destroyIn(root) {
    if (!window.Chart) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("canvas[data-chart]"), function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) { chart.destroy(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawIn(document); });
  document.addEventListener("htmx:beforeSwap", function (event) { destroyIn(event.detail.target); });
  document.addEventListener("htmx:afterSettle", function (event) { drawIn(event.detail.elt || document); });
})();
