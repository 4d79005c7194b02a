// Draws the dashboard's two charts from the JSON the page embeds. The page reads fine
// without this file: every figure is also in the cards and the table.
"use strict";

// The timesheet's Print button: without JavaScript the page says to use the browser's Print.
(function () {
  const button = document.getElementById("print-button");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => window.print());
})();

// Settings not saved yet: the time zone list starts at the browser's zone, and says so.
(function () {
  const select = document.getElementById("timezone");
  if (!select || !select.hasAttribute("data-suggest-browser-zone")) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const option = [...select.options].find((o) => o.value === zone);
  if (!option || option.selected) return;
  option.selected = true;
  const note = document.getElementById("timezone-suggested");
  note.textContent = "Set to your browser's time zone, " + zone + "; save to keep it.";
  note.hidden = false;
})();

(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);

  function hm(minutes) {
    const sign = minutes < 0 ? "\u2212" : minutes > 0 ? "+" : "";
    const value = Math.abs(Math.round(minutes));
    return sign + Math.floor(value / 60) + ":" + String(value % 60).padStart(2, "0");
  }
  const duration = (minutes) => hm(minutes).replace("+", "");

  // A step in whole hours that gives at most about six ticks over `span` minutes.
  function hourStep(span) {
    const steps = [1, 2, 4, 8, 12, 24, 48, 100, 200, 500, 1000, 2000, 5000];
    const hours = Math.max(1, span / 60);
    return 60 * (steps.find((step) => hours / step <= 6) || steps[steps.length - 1]);
  }

  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(name).trim();
  Chart.defaults.color = color("--muted");
  Chart.defaults.borderColor = color("--line");
  const tooltip = (format) => ({ callbacks: { label: (item) => item.dataset.label + ": " + format(item.parsed.y) } });
  // Both canvases sit in a box of fixed height (see .chart-box): without one, Chart.js's
  // resize loop grows them without end.
  const common = { responsive: true, maintainAspectRatio: false, animation: false };
  const goTo = (labels) => (event, elements) => {
    if (elements.length) window.location.href = "/days/" + labels[elements[0].index];
  };

  const daily = data.daily;
  // The line marks the hours the schedule gives the day; an absence or a holiday fills in
  // the part of them it excuses, so a bar above its line is time over, below it time short.
  const scheduled = daily.expected.map((expected, i) => expected + daily.absent[i] + daily.holiday[i]);
  const dailyMax = Math.max(60, ...daily.effective.map((worked, i) => worked + daily.absent[i] + daily.holiday[i]),
                            ...scheduled);
  const kindNames = { vacation: "Vacation", sick: "Sick", leave: "Other paid leave", unpaid: "Unpaid leave",
                      comp: "Time off in lieu", holiday: "Holiday" };
  const kindOf = (index) => {
    const kind = daily.kinds[index] || "";
    const half = kind.endsWith("-half");
    const name = kindNames[kind.replace("-half", "")];
    return name ? name + (half ? " (half day)" : "") : "";
  };
  new Chart(document.getElementById("daily-chart"), {
    type: "bar",
    data: {
      labels: daily.labels.map((date) => date.slice(5)),
      datasets: [
        // The day's target: a short bar-wide line, not a second bar.
        // A day the schedule gives no hours gets no mark.
        { type: "line", label: "Scheduled", data: scheduled.map((m) => (m > 0 ? m : null)), showLine: false,
          pointStyle: "line", pointRadius: 6, pointHoverRadius: 8, borderWidth: 3, borderColor: color("--fg"), order: 0 },
        { type: "bar", label: "Worked", data: daily.effective, backgroundColor: color("--accent"), stack: "day", order: 1 },
        // The time an absence took off the day, and a holiday's: not worked, so not blue.
        { type: "bar", label: "Absence", data: daily.absent, backgroundColor: color("--absence"), stack: "day", order: 1 },
        { type: "bar", label: "Holiday", data: daily.holiday, backgroundColor: color("--holiday-bar"), stack: "day", order: 1 },
      ],
    },
    options: Object.assign({}, common, {
      onClick: goTo(daily.labels),
      scales: { x: { stacked: true },
                y: { stacked: true, beginAtZero: true, suggestedMax: dailyMax,
                     ticks: { stepSize: hourStep(dailyMax), callback: (value) => duration(value) } } },
      plugins: { tooltip: {
        filter: (item) => item.parsed.y !== null && (item.parsed.y > 0 || item.dataset.label === "Worked"),
        callbacks: {
          label: (item) => item.dataset.label + ": " + duration(item.parsed.y),
          footer: (items) => {
            if (!items.length) return "";
            const i = items[0].dataIndex;
            return ["Expected: " + duration(daily.expected[i]), kindOf(i)].filter(Boolean).join(" \u00b7 ");
          },
        },
      } },
    }),
  });

  const line = data.balance;
  const low = Math.min(0, ...line.balance), high = Math.max(0, ...line.balance);
  new Chart(document.getElementById("balance-chart"), {
    type: "line",
    data: {
      labels: line.labels,
      datasets: [{ label: "Balance", data: line.balance, borderColor: color("--accent"), pointRadius: 0, tension: 0.1 }],
    },
    options: Object.assign({}, common, {
      scales: { y: { ticks: { stepSize: hourStep(high - low), callback: (value) => hm(value) } } },
      plugins: { tooltip: tooltip(hm), legend: { display: false } },
    }),
  });
})();
