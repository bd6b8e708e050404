(function () {
  "use strict";
  var box = document.getElementById("filter");
  var status = document.getElementById("filter-status");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-search]"));
  function apply() {
    var q = box.value.trim().toLowerCase();
    var hits = 0;
    items.forEach(function (el) {
      var hit = !q || el.getAttribute("data-search").indexOf(q) !== -1;
      el.hidden = !hit;
      if (hit) { hits += 1; }
    });
    // a root cause stays visible when one of its symptoms matches
    document.querySelectorAll(".card").forEach(function (card) {
      if (card.hidden && card.querySelector(".symptom:not([hidden])")) { card.hidden = false; }
    });
    status.textContent = q ? hits + " of " + items.length + " findings match" : "";
  }
  box.addEventListener("input", apply);
  // printing shows the evidence too
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  apply();
})();
