// Search for the static build of the portal, as progressive enhancement: the search page
// already lists everything the portal knows (that list is the index), and without JavaScript
// it stays a page for the browser's find-in-page. With it, the list is filtered as you type,
// by the same rule as the live server: every word of the query must appear in one of the
// entry's terms (`data-terms`, one term per line), case-insensitively.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  if (!input) {
    return;
  }
  var items = Array.prototype.slice.call(document.querySelectorAll("li[data-terms]"));
  var count = document.getElementById("search-count");
  function run() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li) {
      var terms = li.getAttribute("data-terms").split("\n");
      var hit = words.every(function (w) {
        return terms.some(function (t) {
          return t.indexOf(w) >= 0;
        });
      });
      li.hidden = !hit;
      if (hit) {
        shown += 1;
      }
    });
    if (count) {
      // The sentence comes from the page, in its language: `{n}` and `{q}` are filled here.
      var template =
        (shown === 1 && count.getAttribute("data-results-one")) ||
        count.getAttribute("data-results") ||
        "{n} results for \u201c{q}\u201d.";
      count.textContent = words.length
        ? // Functions, not strings: a `$&` typed in the box is not a replacement pattern.
          template
            .replace("{n}", function () {
              return String(shown);
            })
            .replace("{q}", function () {
              return input.value.trim();
            })
        : "";
    }
  }
  var q = new URLSearchParams(window.location.search).get("q");
  if (q && !input.value) {
    input.value = q;
  }
  input.addEventListener("input", run);
  run();
})();
