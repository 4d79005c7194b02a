// Draws the dashboard's two charts from the JSON the page embeds. The page reads fine
// without this file: every figure is also in the cards and the table.
"use strict";

(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);

  function hm(minutes) {
    const sign = minutes < 0 ? "\u2212" : "";
    const value = Math.abs(Math.round(minutes));
    return sign + Math.floor(value / 60) + ":" + String(value % 60).padStart(2, "0");
  }
  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(name).trim();
  Chart.defaults.color = color("--muted");
  Chart.defaults.borderColor = color("--line");
  const axis = { ticks: { callback: (value) => hm(value) } };
  const tooltip = { callbacks: { label: (item) => item.dataset.label + ": " + hm(item.parsed.y) } };

  new Chart(document.getElementById("daily-chart"), {
    type: "bar",
    data: {
      labels: data.daily.labels.map((date) => date.slice(5)),
      datasets: [
        { label: "Worked", data: data.daily.effective, backgroundColor: color("--accent") },
        { label: "Expected", data: data.daily.expected, backgroundColor: color("--line") },
      ],
    },
    options: { maintainAspectRatio: false, animation: false, scales: { y: axis }, plugins: { tooltip } },
  });

  new Chart(document.getElementById("balance-chart"), {
    type: "line",
    data: {
      labels: data.balance.labels,
      datasets: [{ label: "Balance", data: data.balance.balance, borderColor: color("--accent"), pointRadius: 0, tension: 0.1 }],
    },
    options: { maintainAspectRatio: false, animation: false, scales: { y: axis }, plugins: { tooltip, legend: { display: false } } },
  });
})();
