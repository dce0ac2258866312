/* global document, Chart */
/*
 * The provider dashboard's charts. The page carries its data in a JSON data island
 * (#dashboard-data); this script only draws it with Chart.js. Money arrives in minor units with each
 * currency's exponent and is drawn in the currency's major unit. Animations are off: the charts are
 * complete as soon as they are drawn, and each canvas says so with data-rendered="true".
 */
(function () {
  'use strict';
  var island = document.getElementById('dashboard-data');
  if (!island || typeof Chart === 'undefined') return;
  var data = JSON.parse(island.textContent || '{}');
  var palette = ['#1d4ed8', '#15803d', '#b45309', '#7c3aed', '#be123c', '#0e7490'];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign(
      {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
      },
      config.options || {},
    );
    new Chart(canvas, config);
    canvas.setAttribute('data-rendered', 'true');
  }

  draw('revenue-chart', {
    type: 'line',
    data: {
      labels: data.days,
      datasets: data.revenue.map(function (c, i) {
        var scale = Math.pow(10, c.exponent);
        return {
          label: data.labels.net + ' (' + c.currency + ')',
          data: c.net.map(function (v) {
            return v / scale;
          }),
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          tension: 0.2,
        };
      }),
    },
    options: { scales: { y: { beginAtZero: true } } },
  });

  draw('subscriptions-chart', {
    type: 'bar',
    data: {
      labels: data.days,
      datasets: [
        {
          type: 'line',
          label: data.labels.active,
          data: data.subscriptions.active,
          borderColor: palette[0],
          backgroundColor: palette[0],
        },
        { label: data.labels.new, data: data.subscriptions.new, backgroundColor: palette[1] },
        {
          label: data.labels.churned,
          data: data.subscriptions.churned.map(function (v) {
            return -v;
          }),
          backgroundColor: palette[4],
        },
      ],
    },
  });

  draw('conversion-chart', {
    type: 'bar',
    data: {
      labels: data.days,
      datasets: [
        { label: data.labels.signedIn, data: data.conversion.signedIn, backgroundColor: palette[0] },
        { label: data.labels.converted, data: data.conversion.converted, backgroundColor: palette[1] },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
