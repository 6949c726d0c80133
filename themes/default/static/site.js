/* liangshai: progressive enhancements only; every page works without script. */
(function () {
  "use strict";
  // Sortable tables: <table data-sortable>, cells may carry data-sort="<number|text>".
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }
  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    var aNum = a !== "" && !isNaN(na), bNum = b !== "" && !isNaN(nb);
    if (aNum && bNum) return na - nb;
    if (aNum) return -1;
    if (bNum) return 1;
    return a.localeCompare(b, "zh-CN");
  }
  function makeSortable(table) {
    var head = table.tHead;
    if (!head || !table.tBodies.length) return;
    var ths = head.rows[head.rows.length - 1].cells;
    Array.prototype.forEach.call(ths, function (th, index) {
      if (th.hasAttribute("data-nosort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(ths, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  // Wide tables scroll inside their own box (.table-scroll); the hint just before a box
  // shows only while the box really overflows, measured again when the window changes.
  function updateHints() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), function (box) {
      var hint = box.previousElementSibling;
      if (!hint || !hint.classList.contains("scroll-hint")) return;
      hint.classList.add("measured");
      hint.hidden = box.scrollWidth <= box.clientWidth + 1;
    });
  }
  var pending = false;
  function onResize() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; updateHints(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), makeSortable);
    updateHints();
    window.addEventListener("resize", onResize);
  });
})();
