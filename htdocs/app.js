// Small conveniences; every page works without this file (the charts are drawn on the
// server).
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
