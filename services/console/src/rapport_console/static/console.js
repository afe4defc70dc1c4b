// Rapport console: the live parts of "Now". Polls two small JSON endpoints and builds rows
// with textContent only, so nothing that arrives as data is ever parsed as HTML.
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed) { return; }
  var lastId = feed.getAttribute("data-last-id") || "0-0";
  var MAX_ROWS = 100;

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function link(td, href, text) {
    td.textContent = "";
    var a = document.createElement("a");
    a.setAttribute("href", href);
    a.textContent = text;
    td.appendChild(a);
  }
  function duration(s) {
    s = Math.floor(s);
    if (s < 60) { return s + "s"; }
    var m = Math.floor(s / 60); s = s % 60;
    if (m < 60) { return m + "m " + (s < 10 ? "0" : "") + s + "s"; }
    var h = Math.floor(m / 60); m = m % 60;
    if (h < 48) { return h + "h " + (m < 10 ? "0" : "") + m + "m"; }
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }

  function pollDecisions() {
    fetch("/api/decisions?after=" + encodeURIComponent(lastId), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        var rows = body.decisions;
        var tbody = feed.tBodies[0];
        for (var i = rows.length - 1; i >= 0; i--) {
          var d = rows[i];
          var tr = document.createElement("tr");
          tr.className = "route-" + d.route + (d.shadow ? " shadow" : "") + " fresh";
          cell(tr, d.decided_at.slice(0, 19).replace("T", " "));
          cell(tr, d.site);
          link(cell(tr, ""), d.url, d.conversation_id);
          cell(tr, d.route + (d.shadow ? " (shadow)" : ""));
          cell(tr, d.queue || "-");
          cell(tr, d.priority);
          cell(tr, d.rule);
          tbody.insertBefore(tr, tbody.firstChild);
        }
        // The server's cursor: the newest id, or each partition's position (RAPPORT_PARTITIONS).
        var next = body.cursor || (rows.length ? rows[0].id : lastId);
        if (next !== lastId) { lastId = next; feed.setAttribute("data-last-id", lastId); }
        while (tbody.rows.length > MAX_ROWS) { tbody.deleteRow(tbody.rows.length - 1); }
      })
      .catch(function () { /* signed out or offline: try again on the next tick */ });
  }

  function pollNow() {
    fetch("/api/now", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        var table = document.getElementById("waiting");
        var tbody = table.tBodies[0];
        while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
        body.waiting.forEach(function (w) {
          var tr = document.createElement("tr");
          cell(tr, w.site); cell(tr, w.queue);
          var p = cell(tr, ""); var span = document.createElement("span");
          span.className = "prio prio-" + w.priority; span.textContent = w.priority; p.appendChild(span);
          cell(tr, duration(w.waiting_s)).setAttribute("data-waiting-s", String(w.waiting_s));
          cell(tr, String(w.ladder_step));
          cell(tr, w.handoff_confirmed ? "delivered" : "not confirmed");
          link(cell(tr, ""), w.url, w.conversation_id);
          tbody.appendChild(tr);
        });
        if (!body.waiting.length) {
          var empty = document.createElement("tr"); empty.className = "empty";
          var td = cell(empty, "Nobody is waiting for a person."); td.setAttribute("colspan", "7");
          tbody.appendChild(empty);
        }
        document.getElementById("waiting-count").textContent = String(body.waiting.length);
        var groups = document.getElementById("groups");
        while (groups.firstChild) { groups.removeChild(groups.firstChild); }
        body.groups.forEach(function (g) {
          var chip = document.createElement("span");
          chip.className = "chip prio-" + g.priority;
          chip.textContent = g.site + " / " + g.queue + " / " + g.priority + ": " + g.count +
            " (oldest " + duration(g.oldest_s) + ")";
          groups.appendChild(chip);
        });
        var b = body.banner;
        document.querySelector("#banner [data-field=dlq]").textContent = String(b.dlq_depth);
        document.querySelector("#banner [data-field=failures]").textContent = String(b.helpdesk_failures);
        document.getElementById("banner-dlq").classList.toggle("hidden", !b.dlq_depth);
        document.getElementById("banner-failures").classList.toggle("hidden", !b.helpdesk_failures);
        document.getElementById("banner").classList.toggle("hidden", !(b.dlq_depth || b.helpdesk_failures));
      })
      .catch(function () { /* try again on the next tick */ });
  }

  setInterval(pollDecisions, 2000);
  setInterval(pollNow, 5000);
})();
