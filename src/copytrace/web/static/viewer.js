// copytrace viewer: plain JavaScript for every page and the static report.
// Pair pages: clicking a passage highlights it and scrolls its twin into view; j and k
// step through the passages, Escape clears. Add/query page: the archive is queried as
// the user pastes. Text from data is only ever set with textContent, never as markup.
(function () {
  "use strict";

  var OTHER_SIDE = { source: "reprint", reprint: "source" };

  function passage(side, number) {
    return document.getElementById(side + "-p" + number);
  }

  function clearSelection() {
    document.querySelectorAll(".passage.active, .passage.twin").forEach(function (element) {
      element.classList.remove("active", "twin");
    });
  }

  function select(element, scrollItself) {
    clearSelection();
    var twin = passage(OTHER_SIDE[element.dataset.side], element.dataset.passage);
    element.classList.add("active");
    if (scrollItself) element.scrollIntoView({ block: "center" });
    if (twin) {
      twin.classList.add("twin");
      twin.scrollIntoView({ block: "center" });
    }
    var status = document.getElementById("passage-status");
    if (status) status.textContent = "passage " + element.dataset.passage + " of " + status.dataset.count;
  }

  function step(delta) {
    var count = document.querySelectorAll('.passage[data-side="reprint"]').length;
    if (!count) return;
    var current = document.querySelector(".passage.active");
    var number = current ? Number(current.dataset.passage) + delta : (delta > 0 ? 1 : count);
    number = Math.min(Math.max(number, 1), count);
    var side = current ? current.dataset.side : "reprint";
    var target = passage(side, number) || passage(OTHER_SIDE[side], number);
    if (target) select(target, true);
  }

  function setUpPairPage() {
    document.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      var element = event.target.closest(".passage");
      if (element) select(element, false);
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select")) return;
      if (event.key === "j") step(1);
      else if (event.key === "k") step(-1);
      else if (event.key === "Escape") clearSelection();
      else if (event.key === "Enter" && event.target.classList.contains("passage")) select(event.target, false);
      else return;
      event.preventDefault();
    });
    var linked = /^#(source|reprint)-p(\d+)$/.exec(window.location.hash);
    if (linked && passage(linked[1], linked[2])) select(passage(linked[1], linked[2]), true);
  }

  // --- add and query: what the archive holds for the pasted article, as it is pasted

  // One path segment, as the server's path_segment quotes it (copytrace/web/paths.py).
  function pathSegment(id) {
    var segment = encodeURIComponent(id).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
    return /\.json$/.test(segment) ? segment.replace(/\./g, "%2E") : segment;
  }

  function articleLink(id) {
    var link = document.createElement("a");
    link.href = "/articles/" + pathSegment(id);
    link.textContent = id;
    return link;
  }

  function showMatches(box, report) {
    box.textContent = "";
    var verdict = document.createElement("p");
    verdict.className = "verdict" + (report.sources.length ? " found" : "");
    verdict.textContent = report.sources.length
      ? "The archive holds its source (" + report.sources.length + " found):"
      : "The archive holds no source for this article" +
        (report.reprints.length ? ", but " + report.reprints.length + " reprint(s) of it." : ".");
    box.appendChild(verdict);
    var list = document.createElement("ul");
    report.sources.concat(report.reprints).forEach(function (match) {
      var item = document.createElement("li");
      item.appendChild(document.createTextNode(match.role + ": "));
      item.appendChild(articleLink(match.document.id));
      item.appendChild(document.createTextNode(
        " · " + (match.document.source || "no outlet") + " · " + (match.document.date || "no date") +
        " · " + Math.round(match.coverage_here * 100) + "% of this article"));
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function setUpLiveQuery(form) {
    var box = document.getElementById("live-result");
    var text = form.querySelector("textarea[name=text]");
    var timer = null;
    var asked = 0;
    function ask() {
      if (text.value.trim().split(/\s+/).length < 20) {
        box.textContent = "";
        return;
      }
      var number = ++asked;
      box.textContent = "Looking for its source…";
      fetch("/query", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ text: text.value, id: form.elements.namedItem("id").value || null }),
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error || response.statusText);
            return body;
          });
        })
        .then(function (report) { if (number === asked) showMatches(box, report); })
        .catch(function (error) { if (number === asked) box.textContent = "Query failed: " + error.message; });
    }
    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 600);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector(".passage")) setUpPairPage();
    var form = document.getElementById("add-form");
    if (form && window.fetch) setUpLiveQuery(form);
  });
})();
