// gapbench arena: keyboard keys for the vote buttons and the next link. The page works without it.
(function () {
  "use strict";
  var KEYS = { a: "vote-left", "1": "vote-left", b: "vote-right", "2": "vote-right",
               t: "vote-tie", "3": "vote-tie", x: "vote-both-bad", "4": "vote-both-bad" };
  var sent = false;
  var form = document.getElementById("vote");
  if (form) {
    form.addEventListener("submit", function (e) {
      if (sent) { e.preventDefault(); return; }  // one vote per pair, however fast the clicks
      sent = true;
    });
  }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (form && KEYS[key]) {
      var button = document.getElementById(KEYS[key]);
      if (button && !sent) { e.preventDefault(); form.requestSubmit(button); }
      return;
    }
    var next = document.getElementById("next");
    if (next && (key === "n" || key === "Enter" || key === " ")) {
      e.preventDefault();
      window.location.href = next.href;
    }
  });
})();
