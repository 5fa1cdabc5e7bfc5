// authload's additions to Locust's web UI (served by locust/_webui.py); plain DOM, no build step.
// The start form: scenario/env suggestions, both option groups open, the scenario's `load` filled in.
// The "authload" tab: a panel under Locust's table with thresholds, errors, verdict, links, charts.
(function () {
  "use strict";
  const base = "./authload/";
  let choices = null;
  const loaded = new Set();

  function get(path) {
    return fetch(base + path, { credentials: "same-origin" }).then((r) => r.json());
  }

  function setValue(input, value) {
    // React tracks an input's value: set it through the native setter, then tell React.
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, String(value));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function fillLoad(form, scenario) {
    get("load?scenario=" + encodeURIComponent(scenario)).then((load) => {
      if (load.error) return;
      const fields = { userCount: load.users, spawnRate: load.spawn_rate, runTime: load.run_time };
      for (const [name, value] of Object.entries(fields)) {
        const input = form.querySelector(`input[name="${name}"]`);
        if (input) setValue(input, value);
      }
    });
  }

  function suggest(input, id, values) {
    if (input.getAttribute("list") === id) return;
    let list = document.getElementById(id);
    if (!list) {
      list = document.createElement("datalist");
      list.id = id;
      document.body.appendChild(list);
    }
    list.replaceChildren(...values.map((v) => Object.assign(document.createElement("option"), { value: v })));
    input.setAttribute("list", id);
  }

  function enhanceForm() {
    const form = document.querySelector("form");
    const scenario = form && form.querySelector('input[name="scenario"]');
    if (!form) return;
    // Open "Advanced options" (run time) and "Custom parameters" (scenario, env) once per form.
    if (!form.dataset.authload) {
      form.dataset.authload = "1";
      form.querySelectorAll('button[aria-expanded="false"]').forEach((b) => b.click());
    }
    if (!scenario || !choices) return;
    suggest(scenario, "authload-scenarios", choices.scenarios);
    const env = form.querySelector('input[name="env"]');
    if (env) suggest(env, "authload-envs", choices.envs);
    if (!scenario.dataset.authload) {
      scenario.dataset.authload = "1";
      scenario.addEventListener("change", () => fillLoad(form, scenario.value));
      scenario.addEventListener("input", () => {
        if (choices.scenarios.includes(scenario.value)) fillLoad(form, scenario.value);
      });
      const runTime = form.querySelector('input[name="runTime"]');
      if (runTime && !runTime.value && !loaded.has(scenario.value)) {
        loaded.add(scenario.value);
        fillLoad(form, scenario.value);
      }
    }
  }

  function el(tag, attrs, ...children) {
    const { dataset, ...rest } = attrs || {};
    const node = Object.assign(document.createElement(tag), rest);
    Object.assign(node.dataset, dataset || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function table(head, rows, testid) {
    return el(
      "table",
      { className: "authload-table", dataset: { testid } },
      el("thead", null, el("tr", null, ...head.map((h) => el("th", { textContent: h })))),
      el("tbody", null, ...rows.map((r) => el("tr", null, ...r.map((c) => el("td", { textContent: c })))))
    );
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) return "no data";
    if (unit === "fraction") return (value * 100).toFixed(2) + "%";
    if (unit === "count") return String(value);
    return value.toFixed(1) + " ms";
  }

  function chart(name, points) {
    // Two small SVG plots: latency percentiles (ms) and requests/s over seconds since the start.
    const w = 360, h = 110, pad = 28;
    const ns = "http://www.w3.org/2000/svg";
    const box = el("div", { className: "authload-chart", dataset: { testid: "chart-" + name } });
    box.append(el("div", { className: "authload-chart-title", textContent: name }));
    const t1 = points.length ? points[points.length - 1][0] || 1 : 1;
    for (const [title, columns, colors] of [
      ["p50 / p95 / p99 (ms)", [2, 3, 4], ["#4caf50", "#ff9800", "#f44336"]],
      ["requests/s", [1], ["#2196f3"]],
    ]) {
      const top = Math.max(1e-9, ...points.flatMap((p) => columns.map((c) => p[c])));
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
      svg.setAttribute("width", w);
      svg.setAttribute("height", h);
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", pad);
      label.setAttribute("y", 12);
      label.setAttribute("font-size", "11");
      label.setAttribute("fill", "currentColor");
      label.textContent = `${title}, max ${top.toFixed(1)}`;
      svg.append(label);
      columns.forEach((c, i) => {
        const line = document.createElementNS(ns, "polyline");
        const xy = points.map((p) => `${pad + ((w - pad - 4) * p[0]) / t1},${h - 14 - ((h - 34) * p[c]) / top}`);
        line.setAttribute("points", xy.join(" "));
        line.setAttribute("fill", "none");
        line.setAttribute("stroke", colors[i]);
        line.setAttribute("stroke-width", "1.5");
        svg.append(line);
      });
      box.append(svg);
    }
    return box;
  }

  function render(data) {
    const parts = [];
    if (data.refused) {
      parts.push(el("div", { className: "authload-refused", dataset: { testid: "refused" }, textContent: "Start refused: " + data.refused }));
    }
    const run = data.run;
    if (!run) {
      parts.push(el("p", { textContent: "No run yet: start one from the form." }));
      return parts;
    }
    parts.push(el("h3", { textContent: `run ${run.run_id}: ${run.scenario} on ${run.environment}` }));
    if (run.finished) {
      const verdict = el("div", {
        className: "authload-verdict " + run.verdict,
        dataset: { testid: "verdict" },
        textContent: `Verdict: ${run.verdict.toUpperCase()} (${run.status}, exit ${run.exit_code})` + (run.error ? ": " + run.error : ""),
      });
      parts.push(verdict);
      parts.push(el("div", { dataset: { testid: "files" } }, "Reports: ", ...run.files.flatMap((f) => [el("a", { href: f.url, target: "_blank", textContent: f.name }), " "])));
    } else {
      parts.push(el("div", { className: "authload-verdict live", textContent: "Running: thresholds below are so far." }));
    }
    parts.push(el("h4", { textContent: "Thresholds" }));
    parts.push(table(["threshold", "value", "limit", "result"], run.thresholds.map((t) => [
      t.rule ? `${t.threshold} ${t.rule}` : t.threshold, fmt(t.measured, t.unit), fmt(t.limit, t.unit),
      t.skipped ? "SKIP" : t.passed ? "PASS" : "FAIL",
    ]), "thresholds"));
    parts.push(el("h4", { textContent: "Errors by code" }));
    parts.push(run.errors.length
      ? table(["kind", "name", "code", "count"], run.errors.map((e) => [e.kind, e.name, e.code, e.count]), "errors")
      : el("p", { textContent: "none" }));
    if (run.arrivals) {
      parts.push(el("h4", { textContent: "Arrivals" }));
      parts.push(el("pre", { dataset: { testid: "arrivals" }, textContent: JSON.stringify(run.arrivals, null, 1) }));
    }
    parts.push(el("h4", { textContent: "Per step over time" }));
    parts.push(el("div", { className: "authload-charts" }, ...Object.entries(run.series).map(([n, p]) => chart(n, p))));
    return parts;
  }

  function onTab() {
    return new URLSearchParams(location.search).get("tab") === "authload";
  }

  let panel = null;
  function refresh() {
    enhanceForm();
    get("state").then((data) => {
      if (!panel) panel = el("section", { id: "authload-cockpit" });
      // Under the tab's table while the tab shows (React leaves a foreign sibling alone), else after the app.
      const table = onTab() && document.querySelector("#root .MuiTableContainer-root");
      const host = table ? table.parentNode : document.body;
      if (panel.parentNode !== host) (table ? table.after(panel) : document.body.appendChild(panel));
      panel.hidden = !onTab() && !(data.refused && document.querySelector("form"));
      panel.replaceChildren(...render(data));
      // Locust's page stops polling its statistics at Stop, before the last in-flight requests
      // land; one reload once the run's summary is written shows its final counts (after Locust's
      // 2 s cache of /stats/requests has expired).
      const run = data.run;
      if (run && run.finished && sessionStorage.getItem("authload-final") !== run.run_id) {
        sessionStorage.setItem("authload-final", run.run_id);
        setTimeout(() => location.reload(), 2500);
      }
    }).catch(() => {});
  }

  const style = el("style", {
    textContent: `#authload-cockpit{font-family:Roboto,Arial,sans-serif;padding:8px 24px 32px;color:inherit}
#authload-cockpit .authload-table{border-collapse:collapse;margin:4px 0}
#authload-cockpit td,#authload-cockpit th{border:1px solid #8884;padding:2px 8px;text-align:left}
.authload-verdict{font-weight:bold;padding:6px;margin:6px 0}.authload-verdict.pass{color:#2e7d32}
.authload-verdict.fail{color:#c62828}.authload-refused{color:#c62828;font-weight:bold;white-space:pre-wrap}
.authload-charts{display:flex;flex-wrap:wrap;gap:12px}.authload-chart{border:1px solid #8884;padding:4px}`,
  });
  document.head.appendChild(style);
  get("choices").then((c) => { choices = c; enhanceForm(); });
  refresh();
  setInterval(refresh, 1000);
})();
