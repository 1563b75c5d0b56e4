/// The console's stylesheet and its one small script, served from the binary (no build
/// step, no CDN) so the Content-Security-Policy can forbid everything inline.
enum ConsoleAssets {
    static let css = """
        :root { color-scheme: light dark; --bg: #fafafa; --fg: #1d1d1f; --muted: #666; --line: #ddd;
          --accent: #0b5cad; --danger: #b3261e; --ok: #1e7d32; --warn: #a15c00; --card: #fff; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #151517; --fg: #e8e8ea; --muted: #a0a0a8; --line: #34343a; --accent: #7fb6ff;
            --danger: #ff8a80; --ok: #81c784; --warn: #ffb74d; --card: #1f1f23; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
        header { display: flex; gap: 1.2em; align-items: center; padding: .6em 1.2em;
          border-bottom: 1px solid var(--line); background: var(--card); flex-wrap: wrap; }
        header strong { margin-right: 1em; }
        header form { margin-left: auto; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: 2px; }
        main { padding: 1em 1.2em; max-width: 80em; }
        table { border-collapse: collapse; width: 100%; background: var(--card); }
        th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: var(--muted); }
        .state-dead, .error { color: var(--danger); }
        .state-done { color: var(--ok); }
        .state-retrying, .state-running { color: var(--warn); }
        form.filters { display: flex; gap: .6em; flex-wrap: wrap; align-items: end; margin-bottom: 1em; }
        label { display: flex; flex-direction: column; font-size: .85em; gap: .2em; }
        input, select, textarea, button { font: inherit; color: inherit; background: var(--card);
          border: 1px solid var(--line); border-radius: 4px; padding: .3em .5em; }
        button { cursor: pointer; border-color: var(--accent); }
        button.danger { border-color: var(--danger); color: var(--danger); }
        textarea { width: 100%; min-height: 14em; font-family: ui-monospace, monospace; }
        pre { background: var(--card); border: 1px solid var(--line); padding: .8em; overflow: auto; }
        .actions { display: flex; gap: .6em; flex-wrap: wrap; margin: .8em 0; align-items: center; }
        .notice { padding: .6em .8em; border: 1px solid var(--accent); border-radius: 4px; margin: .6em 0; }
        .notice.error { border-color: var(--danger); }
        ol.timeline { padding-left: 1.4em; }
        ol.timeline li { margin-bottom: .5em; }
        svg.chart { background: var(--card); border: 1px solid var(--line); max-width: 100%; }
        svg.chart .accepted { stroke: var(--accent); }
        svg.chart .done { stroke: var(--ok); }
        svg.chart .dead { stroke: var(--danger); }
        .legend span { margin-right: 1em; }
        .legend .accepted { color: var(--accent); } .legend .done { color: var(--ok); } .legend .dead { color: var(--danger); }
        progress { width: 20em; }
        .secret { font-family: ui-monospace, monospace; user-select: all; }
        """

    /// Live refresh of the overview, validation of an edited body before it is sent, and
    /// "select all" for the message list. Nothing else.
    static let js = """
        "use strict";
        (function () {
          var live = document.querySelector("[data-refresh]");
          if (live) {
            setInterval(function () {
              fetch(live.getAttribute("data-refresh"), { credentials: "same-origin" })
                .then(function (r) { return r.ok ? r.text() : null; })
                .then(function (html) { if (html !== null) { live.innerHTML = html; } })
                .catch(function () {});
            }, 5000);
          }
          var edit = document.getElementById("edit-form");
          if (edit) {
            edit.addEventListener("submit", function (event) {
              var type = edit.getAttribute("data-format");
              var text = document.getElementById("edit-body").value;
              var problem = document.getElementById("edit-problem");
              var message = null;
              if (type === "json" && text.trim() !== "") {
                try { JSON.parse(text); } catch (e) { message = "The body is not valid JSON: " + e.message; }
              } else if (type === "xml" && text.trim() !== "") {
                var doc = new DOMParser().parseFromString(text, "application/xml");
                var error = doc.getElementsByTagName("parsererror")[0];
                if (error) { message = "The body is not well-formed XML: " + error.textContent; }
              }
              if (message) {
                event.preventDefault();
                problem.textContent = message;
                problem.hidden = false;
                document.getElementById("edit-body").focus();
              }
            });
          }
          var all = document.getElementById("select-all");
          if (all) {
            all.addEventListener("change", function () {
              document.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = all.checked; });
            });
          }
        })();
        """
}
