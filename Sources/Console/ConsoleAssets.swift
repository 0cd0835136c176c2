/// The console's one stylesheet and one script, compiled into the binary and served from `/console/assets/`.
enum ConsoleAssets {
    static let files: [String: (contentType: String, body: String)] = [
        "console.css": ("text/css; charset=utf-8", stylesheet),
        "console.js": ("text/javascript; charset=utf-8", script),
    ]

    static let stylesheet = """
        :root { --ink: #1d2430; --muted: #5b6574; --line: #d6dbe3; --bg: #f6f7f9; --accent: #0b5cad; --bad: #b3261e;
                --bad-bg: #fdecea; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); font-size: 15px; line-height: 1.45; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f2a900; outline-offset: 1px; }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1.25rem;
                     background: #1d2430; color: #fff; }
        header.top a { color: #fff; text-decoration: none; }
        header.top a[aria-current] { text-decoration: underline; }
        .brand { font-weight: 700; letter-spacing: .02em; }
        nav#nav { display: flex; gap: 1rem; flex: 1; }
        .who { display: flex; align-items: center; gap: .75rem; font-size: .9rem; }
        .who form { margin: 0; }
        .region { color: #aeb6c2; white-space: nowrap; }
        header.top button { white-space: nowrap; }
        main { padding: 1rem 1.25rem 3rem; max-width: 1400px; margin: 0 auto; }
        h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.1rem; }
        .muted { color: var(--muted); font-weight: 400; font-size: 1rem; }
        label { display: block; font-size: .85rem; color: var(--muted); margin-bottom: .2rem; }
        input, select { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; width: 100%;
                        background: #fff; color: var(--ink); }
        button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent);
                 color: #fff; cursor: pointer; }
        header.top button { background: transparent; border-color: #aeb6c2; padding: .2rem .6rem; }
        .signin { max-width: 26rem; margin: 2rem auto; background: #fff; padding: 1.5rem; border: 1px solid var(--line); border-radius: 6px; }
        .signin label { margin-top: .8rem; }
        .signin button { margin-top: 1.2rem; width: 100%; }
        .error { color: var(--bad); background: var(--bad-bg); padding: .5rem .75rem; border-radius: 4px; }
        .filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .6rem 1rem;
                   background: #fff; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; }
        .filters .actions { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; }
        .toolbar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem; margin: 1rem 0 .5rem; }
        fieldset#columns { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .2rem .8rem; align-items: center; }
        fieldset#columns legend { float: left; margin-right: .6rem; color: var(--muted); font-size: .85rem; }
        fieldset#columns label { display: inline-flex; align-items: center; gap: .25rem; color: var(--ink); margin: 0; }
        fieldset#columns input { width: auto; }
        .scroll { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th { background: #eef1f5; font-weight: 600; }
        tr.failed td { background: var(--bad-bg); }
        .panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-top: 1rem; }
        .panel h2 { margin: 0 0 .5rem; font-size: 1rem; }
        .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 1rem; }
        svg.chart { max-width: 100%; height: auto; display: block; }
        ul.legend, ul.top { list-style: none; padding: 0; margin: .4rem 0 0; display: flex; flex-wrap: wrap; gap: .2rem 1rem; font-size: .85rem; }
        .totals { font-size: 1.05rem; }
        section.bus, section#tester { margin-top: 1.5rem; }
        table.rules td { vertical-align: top; white-space: normal; }
        table.rules pre { margin: 0; font-size: .8rem; white-space: pre-wrap; max-width: 28rem; }
        .state { padding: .1rem .45rem; border-radius: 3px; background: #eef1f5; font-size: .8rem; }
        .state.enabled { background: #e3f4e8; color: #1d6b34; }
        .progress { display: inline-flex; align-items: center; gap: .5rem; white-space: nowrap; }
        .bar-total { fill: #eef1f5; } .bar-succeeded { fill: #2e8b57; } .bar-failed { fill: var(--bad); }
        .error-text { color: var(--bad); }
        .ok { color: #1d6b34; }
        .finding code { overflow-wrap: anywhere; }
        .status-counts { display: flex; flex-wrap: wrap; gap: .4rem; margin: .4rem 0 .6rem; font-size: .85rem; }
        .status-count { padding: .1rem .5rem; border: 1px solid var(--line); border-radius: 3px; text-decoration: none; }
        .status-count[aria-current] { background: #eef1f5; font-weight: 600; }
        .queue + .queue { margin-top: 1rem; border-top: 1px solid var(--line); padding-top: .5rem; }
        .queue h3 { font-size: 1rem; margin: .3rem 0; }
        table.timeline { width: auto; background: #fff; border: 1px solid var(--line); }
        pre.stdout, pre.stderr { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto;
                                 font-size: .85rem; white-space: pre-wrap; word-break: break-word; }
        pre.stderr { border-color: var(--bad); }
        .target + .target { margin-top: .5rem; padding-top: .5rem; border-top: 1px dashed var(--line); }
        .counts { font-size: .85rem; }
        .last-error { color: var(--bad); font-size: .85rem; }
        textarea { font: .85rem ui-monospace, SFMono-Regular, Menlo, monospace; width: 100%; padding: .4rem .5rem;
                   border: 1px solid var(--line); border-radius: 4px; }
        #pattern-test { background: #fff; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; display: grid; gap: .3rem; }
        #pattern-test button { justify-self: start; margin-top: .5rem; }
        #pattern-result.matched { color: #1d6b34; background: #e3f4e8; padding: .5rem .75rem; border-radius: 4px; }
        #pattern-result.unmatched { color: var(--ink); background: #eef1f5; padding: .5rem .75rem; border-radius: 4px; }
        #pattern-result.error { color: var(--bad); background: var(--bad-bg); padding: .5rem .75rem; border-radius: 4px; }
        th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.failed td.col-error { color: var(--bad); font-weight: 600; }
        .hide-time .col-time, .hide-user .col-user, .hide-name .col-name, .hide-resource-type .col-resource-type,
        .hide-resource-name .col-resource-name, .hide-source .col-source, .hide-region .col-region, .hide-ip .col-ip,
        .hide-key .col-key, .hide-error .col-error { display: none; }
        .live label { display: inline-flex; align-items: center; gap: .3rem; color: var(--ink); margin: 0; font-size: .95rem; }
        .live input { width: auto; }
        #live-status { color: var(--muted); font-size: .85rem; margin-left: .4rem; }
        tr.live td { animation: arrived 2s ease-out; }
        @keyframes arrived { from { background: #fff6cc; } }
        .paging { display: flex; gap: 1rem; align-items: center; margin-top: .8rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        pre#record { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; overflow-x: auto;
                     font-size: .85rem; white-space: pre-wrap; word-break: break-word; }
        @media (max-width: 640px) {
          header.top { padding: .5rem .75rem; }
          main { padding: .75rem; }
          nav#nav { order: 3; flex-basis: 100%; flex-wrap: wrap; gap: .3rem .9rem; }
          .who { flex-wrap: wrap; min-width: 0; gap: .4rem .75rem; }
          #whoami { overflow-wrap: anywhere; }
        }
        """

    /// The column chooser (which history columns show, remembered in this browser's `localStorage`) and the live
    /// tail (new events from `/console/events/tail`, added as text).
    static let script = """
        "use strict";
        (function () {
          var table = document.getElementById("events");
          var live = document.getElementById("live-tail");
          if (live && table) {
            var tbody = table.querySelector("tbody");
            var status = document.getElementById("live-status");
            var columns = [["time", "time"], ["user", "user"], ["name", "name"], ["resource-type", "resourceType"],
                           ["resource-name", "resourceName"], ["source", "source"], ["region", "region"], ["ip", "ip"],
                           ["key", "key"], ["error", "error"]];
            var source = null;
            var addRow = function (r) {
              var tr = document.createElement("tr");
              tr.className = "event live" + (r.error ? " failed" : "");
              columns.forEach(function (c) {
                var td = document.createElement("td");
                td.className = "col-" + c[0];
                if (c[0] === "name") {
                  var a = document.createElement("a");
                  a.href = "/console/events/" + encodeURIComponent(r.eventId);
                  a.textContent = r.name;
                  td.appendChild(a);
                } else {
                  td.textContent = r[c[1]];
                }
                tr.appendChild(td);
              });
              tbody.insertBefore(tr, tbody.firstChild);
              var none = document.getElementById("no-events");
              if (none) { none.remove(); }
            };
            var stop = function (why) {
              if (source) { source.close(); source = null; }
              live.checked = false;
              status.textContent = why || "";
            };
            live.addEventListener("change", function () {
              if (!live.checked) { stop(""); return; }
              source = new EventSource("/console/events/tail?" + live.getAttribute("data-query"));
              status.textContent = "following new events";
              source.addEventListener("record", function (e) { addRow(JSON.parse(e.data)); });
              source.addEventListener("end", function (e) { stop("stopped: " + e.data); });
            });
          }
          var chooser = document.getElementById("columns");
          if (!chooser) { return; }
          var key = "cairn.console.columns";
          var boxes = chooser.querySelectorAll("input[name=col]");
          var saved = null;
          try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
          function apply() {
            var shown = [];
            boxes.forEach(function (box) {
              if (box.checked) { shown.push(box.value); }
              if (table) { table.classList.toggle("hide-" + box.value, !box.checked); }
            });
            return shown;
          }
          if (Array.isArray(saved)) {
            boxes.forEach(function (box) { box.checked = saved.indexOf(box.value) >= 0; });
          }
          apply();
          boxes.forEach(function (box) {
            box.addEventListener("change", function () {
              var shown = apply();
              try { window.localStorage.setItem(key, JSON.stringify(shown)); } catch (e) { /* private mode: not remembered */ }
            });
          });
        })();
        """
}
