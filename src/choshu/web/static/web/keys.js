// Keyboard-only use of the search box: ↓ from the box to the first result, ↑/↓ between
// results, ↑ from the first result back to the box. Enter follows the focused link; Tab works as usual.
(function () {
  "use strict";
  function links() {
    return Array.prototype.slice.call(document.querySelectorAll("#results [data-result]"));
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var box = document.getElementById("q");
    if (!box) return;
    var items = links();
    if (items.length === 0) return;
    var index = items.indexOf(document.activeElement);
    if (document.activeElement === box) {
      if (event.key === "ArrowDown") { items[0].focus(); event.preventDefault(); }
      return;
    }
    if (index < 0) return;
    event.preventDefault();
    if (event.key === "ArrowDown") {
      items[Math.min(index + 1, items.length - 1)].focus();
    } else if (index === 0) {
      box.focus();
    } else {
      items[index - 1].focus();
    }
  });

  // A form marked data-submit-once cannot be sent twice by a double click (窓口収納).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
