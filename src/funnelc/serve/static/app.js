// The page of `funnelc serve`: presentation only. Every figure, finding, fix and
// verdict comes from the server (funnelc.serve.app); this script sends the text,
// draws what comes back, and keeps the editor, the tabs and the streams going.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const S = {
    version: null,        // the file's version the page's text started from
    savedText: "",        // the text as last read or saved
    textVersion: 0,       // bumps on every edit: stale checks and runs are ignored
    labels: {}, controls: [], changes: {}, lastFigures: null, lastGraph: null,
    job: null, jobText: null, source: null, simStages: null, checkTimer: null,
  };
  const L = key => S.labels[key] || key;
  const esc = s => String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;"}[c]));
  // Figures as the page's language writes them (`35,4%` in ru and uk); English as always.
  const fixed = (x, d) => S.language && S.language !== "en"
    ? Number(x).toLocaleString(S.language, {minimumFractionDigits: d, maximumFractionDigits: d})
    : Number(x).toFixed(d);
  const pct = x => x == null ? "—" : fixed(100 * x, 1) + "%";
  const num = (x, d = 2) => x == null ? "—" : fixed(x, d);
  // A word that agrees with the count `n` (the catalogs' forms by CLDR category).
  const plural = (key, n) => {
    const forms = (S.plurals || {})[key] || {};
    const category = new Intl.PluralRules(S.language || "en").select(n);
    return forms[category] || forms.other || key;
  };
  const fill = (template, fields) => Object.entries(fields).reduce(
    (t, [k, v]) => t.split(`{${k}}`).join(String(v)), template);

  async function api(path, body) {
    const init = body === undefined ? {} : {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json"}};
    const r = await fetch(path, init);
    let data = null;
    try { data = await r.json(); } catch (e) { data = {error: `${path}: ${r.status}`}; }
    return {status: r.status, data};
  }
  function status(text) { $("status").textContent = text; }

  // ------------------------------------------------------------------ editor and check
  let view = null;
  function text() { return FunnelEditor.getText(view); }

  function onEdit() {
    S.textVersion += 1;
    S.editAt = performance.now();
    status(text() === S.savedText ? "" : L("unsaved"));
    markSimStale();
    clearTimeout(S.checkTimer);
    S.checkTimer = setTimeout(check, 150);
  }

  async function check() {
    const mine = S.textVersion;
    const began = performance.now();
    const {status: code, data} = await api("/api/check", {text: text()});
    if (mine !== S.textVersion) return;  // an older answer: the text moved on
    if (code !== 200) { status(data.error); return; }
    showLive(data.live, data.controls);
    document.body.dataset.checked = String(mine);
    document.body.dataset.checkMs = String(Math.round(performance.now() - began));
    // From the edit (the keystroke) to the findings and figures drawn, debounce included.
    document.body.dataset.keystrokeMs = String(Math.round(performance.now() - S.editAt));
  }

  function showLive(live, controls) {
    const diags = live.diagnostics.map(d => ({
      from: d.start, to: d.end, severity: d.severity === "note" ? "info" : d.severity,
      message: `${d.code}: ${d.message}` + (d.help ? `\n= help: ${d.help}` : ""),
      source: d.name || d.code,
      actions: d.fixes.map(f => ({name: f.title,
        changes: f.edits.map(e => ({from: e.start, to: e.end, insert: e.insert}))})),
    }));
    FunnelEditor.show(view, diags);
    $("summary").textContent = live.summary;
    const ul = $("diagnostics");
    ul.innerHTML = "";
    live.diagnostics.forEach((d, i) => {
      const li = document.createElement("li");
      li.className = "diag " + d.severity;
      li.dataset.code = d.code;
      li.innerHTML = `<span class="sev">${esc(d.severity)}[${esc(d.code)}]</span> ` +
        `<a href="#" class="where">${d.line}:${d.column}</a> <span class="msg">${esc(d.message)}</span>` +
        (d.help ? ` <span class="help">— ${esc(d.help)}</span>` : "");
      li.querySelector(".where").onclick = ev => {
        ev.preventDefault();
        view.dispatch({selection: {anchor: d.start, head: d.end}, scrollIntoView: true});
        view.focus();
      };
      d.fixes.forEach(f => {
        const b = document.createElement("button");
        const words = S.labels["fix:" + f.kind];
        b.type = "button"; b.className = "fix " + f.kind;
        b.textContent = words ? fill(words, {guess: f.edits.length ? f.edits[0].insert : "",
                                             code: d.code}) : f.title;
        b.onclick = () => view.dispatch({changes: f.edits.map(e => ({from: e.start, to: e.end,
          insert: e.insert}))});
        li.appendChild(b);
      });
      ul.appendChild(li);
    });
    const note = $("live-note");
    if (live.ok && live.figures) {
      S.lastFigures = live.figures; S.lastGraph = live.graph;
      note.textContent = live.notes.map(n => S.labels["note:" + n] || n).join("; ");
      $("pane-live").classList.remove("stale");
      if (controls) { S.controls = controls; drawControls(); }
    } else {
      note.textContent = L("errors_keep");
      $("pane-live").classList.add("stale");
    }
    drawDiagram(); drawFigures();
    if (Object.keys(S.changes).length && live.ok) whatIf();
  }

  // ------------------------------------------------------------------ diagram
  const NW = 168, NH = 46, GX = 46, ROW = 150;
  function stageFigures(pipeline, stage) {
    if (!S.lastFigures) return null;
    return S.lastFigures.stages.find(s => s.pipeline === pipeline && s.stage === stage) || null;
  }
  function drawDiagram() {
    const g = S.lastGraph, box = $("diagram");
    if (!g) { box.innerHTML = ""; return; }
    const pos = {}, parts = [];
    let width = 0;
    const pipes = S.lastFigures ? S.lastFigures.pipelines.map(p => p.name) : [];
    g.outside.forEach((n, i) => { pos[n.id] = {x: 10 + i * (NW + GX), y: 10, n, pipe: null}; });
    g.clusters.forEach((c, ci) => {
      const y = 10 + (ci + 1) * ROW - (g.outside.length ? 0 : ROW - 30);
      c.nodes.forEach((n, i) => { pos[n.id] = {x: 10 + i * (NW + GX), y, n, pipe: pipes[ci]}; });
      width = Math.max(width, c.nodes.length * (NW + GX));
      parts.push(`<text x="10" y="${y - 30}" font-weight="600">${esc(c.label)}</text>`);
    });
    width = Math.max(width, g.outside.length * (NW + GX)) + 20;
    const height = 10 + (g.clusters.length + (g.outside.length ? 1 : 0)) * ROW;
    g.edges.forEach((e, i) => {
      const a = pos[e.src], b = pos[e.dst];
      if (!a || !b) return;
      let d, lx, ly;
      if (a.y === b.y) {
        const x1 = a.x + NW / 2, x2 = b.x + NW / 2, up = x2 > x1 ? -1 : 1;
        const h = Math.min(60, 14 + Math.abs(x2 - x1) / 8);
        const y0 = up < 0 ? a.y : a.y + NH;
        d = `M${x1},${y0} C${x1},${y0 + up * h} ${x2},${y0 + up * h} ${x2},${y0}`;
        lx = (x1 + x2) / 2; ly = y0 + up * h * 0.75 + (up < 0 ? 0 : 8);
      } else {
        const x1 = a.x + NW / 2, y1 = a.y + (b.y > a.y ? NH : 0);
        const x2 = b.x + NW / 2, y2 = b.y + (b.y > a.y ? 0 : NH);
        d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
        lx = (x1 + x2) / 2; ly = (y1 + y2) / 2;
      }
      parts.push(`<path class="edge${e.dashed ? " dashed" : ""}" d="${d}" marker-end="url(#arrow)"/>`);
      if (e.label) parts.push(`<text class="edge-label" x="${lx}" y="${ly}" text-anchor="middle">${esc(e.label)}</text>`);
    });
    Object.values(pos).forEach(p => {
      const n = p.n, f = n.kind === "stage" ? stageFigures(p.pipe, n.label) : null;
      const grave = S.simStages && S.simStages.some(s => s.is_graveyard && s.pipeline === p.pipe
                                                    && s.stage === n.label);
      const label = n.label.length > 24 ? n.label.slice(0, 23) + "…" : n.label;
      const sub = f ? `${L("p_win")} ${pct(f.p_win)} · ${fill(L("per_day"), {n: num(f.arrivals_per_day, 1)})}` +
        (f.team_load != null ? ` · ρ ${num(f.team_load)}` : "") : (n.sla ? `sla ${n.sla}` : "");
      parts.push(`<g class="node ${n.kind}${n.key ? " key" : ""}${grave ? " graveyard" : ""}"` +
        ` data-stage="${esc(n.label)}" data-pipeline="${esc(p.pipe || "")}">` +
        `<title>${esc(n.label)}</title><rect x="${p.x}" y="${p.y}" width="${NW}" height="${NH}" rx="6"/>` +
        `<text x="${p.x + 6}" y="${p.y + 18}" font-size="12">${esc(label)}</text>` +
        `<text x="${p.x + 6}" y="${p.y + 36}" font-size="10" fill="#4b5563">${esc(sub)}</text></g>`);
    });
    box.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"` +
      ` viewBox="0 0 ${width} ${height}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9"` +
      ` refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"` +
      ` fill="#9ca3af"/></marker></defs>${parts.join("")}</svg>`;
  }

  function drawFigures() {
    const f = S.lastFigures;
    if (!f) return;
    $("teams").innerHTML = `<tr><th>${L("team")}</th><th>${L("size")}</th><th>${L("load")}</th></tr>` +
      f.teams.map(t => `<tr data-team="${esc(t.name)}"><td>${esc(t.name)}</td><td class="size">${t.size}</td>` +
        `<td class="load${t.load >= 1 ? " bad" : ""}">${num(t.load)}</td></tr>`).join("");
    $("figures").innerHTML = `<tr><th>${L("stage")}</th><th>${L("p_win")}</th><th>${L("arrivals")}</th>` +
      `<th>${L("load")}</th><th>${L("p_wait")}</th><th>${L("wait")}</th><th>${L("breach")}</th></tr>` +
      f.stages.map(s => `<tr data-stage="${esc(s.stage)}"><td>${esc(s.pipeline)}.${esc(s.stage)}</td>` +
        `<td>${pct(s.p_win)}</td><td>${num(s.arrivals_per_day, 1)}</td><td>${num(s.team_load)}</td>` +
        `<td>${pct(s.p_wait)}</td><td>${num(s.wait_mean_hours)}</td><td>${pct(s.respond_breach)}</td></tr>`
      ).join("");
  }

  // ------------------------------------------------------------------ what-if sliders
  const key = c => `${c.kind}|${c.pipeline || ""}|${c.subject}`;
  function drawControls() {
    const box = $("controls");
    box.innerHTML = "";
    S.controls.forEach(c => {
      const k = key(c), value = k in S.changes ? S.changes[k].value : c.value;
      const row = document.createElement("div");
      row.className = "control";
      const label = S.labels["control:" + c.kind] ? fill(S.labels["control:" + c.kind],
        {name: c.pipeline ? `${c.pipeline}.${c.subject}` : c.subject}) : c.label;
      row.innerHTML = `<label>${esc(label)}</label><input type="range" min="${c.low}" max="${c.high}"` +
        ` step="${c.step}" value="${value}"><output>${value}${esc(c.unit)}</output>`;
      const input = row.querySelector("input");
      input.dataset.kind = c.kind; input.dataset.subject = c.subject;
      if (c.pipeline) input.dataset.pipeline = c.pipeline;
      input.oninput = () => {
        const v = Number(input.value);
        row.querySelector("output").textContent = v + c.unit;
        if (v === c.value) delete S.changes[k];
        else S.changes[k] = {kind: c.kind, subject: c.subject, pipeline: c.pipeline, value: v};
        clearTimeout(S.whatifTimer);
        S.whatifTimer = setTimeout(whatIf, 80);
      };
      box.appendChild(row);
    });
  }
  const changeList = () => Object.values(S.changes);
  async function whatIf() {
    const changes = changeList();
    if (!changes.length) {
      $("deltas").innerHTML = ""; $("override-lines").textContent = "";
      drawFigures(); drawDiagram(); return;
    }
    const {status: code, data} = await api("/api/whatif", {text: text(), changes});
    if (code !== 200) { status(data.error); return; }
    $("override-lines").textContent = data.lines.join("\n");
    $("deltas").innerHTML = `<tr><th></th><th></th><th>${L("baseline")}</th><th>${L("variant")}</th></tr>` +
      data.deltas.map(d => `<tr><td>${esc(S.labels["subject:" + d.subject] || d.subject)}</td>` +
        `<td>${esc(S.labels["what:" + d.what] || d.what)}</td>` +
        `<td>${num(d.baseline)}</td><td>${num(d.variant)}</td></tr>`).join("");
    // The live view shows the variant's staffing while the sliders are moved.
    const keep = S.lastFigures;
    S.lastFigures = data.variant; drawFigures(); drawDiagram(); S.lastFigures = keep;
    document.body.dataset.whatif = String((Number(document.body.dataset.whatif) || 0) + 1);
  }
  $("reset").onclick = () => { S.changes = {}; drawControls(); whatIf(); };
  $("save-scenario").onclick = async () => {
    const {status: code, data} = await api("/api/scenario", {text: text(),
      name: $("scenario-name").value, changes: changeList()});
    if (code !== 200) { status(data.error); return; }
    FunnelEditor.setText(view, data.text);
    S.changes = {}; drawControls(); whatIf();
  };

  // ------------------------------------------------------------------ simulation
  function markSimStale() {
    if (S.jobText !== null && text() !== S.jobText) {
      $("sim-results").classList.add("stale");
      $("sim-state").textContent = L("stale");
    }
  }
  async function runSim() {
    if (S.source) { S.source.close(); S.source = null; }
    const body = {text: text(), changes: changeList(), days: Number($("days").value),
                  reps: Number($("reps").value)};
    const {status: code, data} = await api("/api/simulate", body);
    if (code !== 200) { $("sim-state").textContent = data.error; return; }
    S.job = data.job; S.jobText = body.text; S.simStarted = performance.now();
    $("sim-results").classList.remove("stale");
    $("cancel").disabled = false;
    showSim(data);
    S.source = new EventSource(`/api/simulate/${data.job}/events`);
    S.source.onmessage = ev => {
      const v = JSON.parse(ev.data);
      showSim(v);
      if (v.state !== "running") { S.source.close(); S.source = null; $("cancel").disabled = true; }
    };
  }
  function spark(values) {
    if (!values.length) return "";
    const w = 120, h = 24, max = Math.max(...values, 1);
    const pts = values.map((v, i) => `${(i / Math.max(1, values.length - 1) * w).toFixed(1)},` +
      `${(h - v / max * h).toFixed(1)}`).join(" ");
    return `<svg class="spark" width="${w}" height="${h}"><polyline fill="none" stroke="#6366f1"` +
      ` points="${pts}"/></svg>`;
  }
  function showSim(v) {
    $("sim-progress").max = v.total; $("sim-progress").value = v.done;
    let state = `${fill(plural("reps_done", v.total), {done: v.done, total: v.total})} · ` +
      `${fill(L("seconds"), {n: fixed(v.elapsed_s, 1)})} · ${S.labels["state:" + v.state] || v.state}`;
    if (v.message) state += ` — ${v.message}`;
    if (S.jobText !== null && text() !== S.jobText) state += ` · ${L("stale")}`;
    $("sim-state").textContent = state;
    if (v.done && S.firstResultMs === undefined) {
      S.firstResultMs = performance.now() - S.simStarted;
      document.body.dataset.firstSimMs = String(Math.round(S.firstResultMs));
    }
    if (!v.stages.length) return;
    S.simStages = v.stages;
    const graves = v.stages.filter(s => s.is_graveyard);
    $("sim-results").innerHTML =
      `<p class="verdicts">${graves.length ? graves.map(s => `<span class="verdict graveyard"` +
        ` data-stage="${esc(s.stage)}">${L("graveyard")}: ${esc(s.pipeline)}.${esc(s.stage)}</span>`).join(", ")
        : L("no_graveyard")}</p>` +
      `<table><tr><th>${L("team")}</th><th>${L("size")}</th><th>${L("utilization")}</th></tr>` +
      v.teams.map(t => `<tr data-team="${esc(t.team)}"><td>${esc(t.team)}</td><td>${t.size}</td>` +
        `<td>${pct(t.utilization)}${t.ci95 != null ? " ± " + pct(t.ci95) : ""}</td></tr>`).join("") + `</table>` +
      v.pipelines.map(p => `<h4>${esc(p.pipeline)}: ${L("won")} ${num(p.won, 0)} / ${num(p.started, 0)}` +
        ` (${L("conversion")} ${pct(p.conversion)})</h4><table>` +
        `<tr><th>${L("stage")}</th><th>n</th><th>${L("backlog")}</th><th></th></tr>` +
        p.entered_by_stage.map(([stage, n]) => {
          const s = v.stages.find(x => x.pipeline === p.pipeline && x.stage === stage);
          return `<tr data-stage="${esc(stage)}"><td>${esc(stage)}</td><td>${num(n, 0)}</td>` +
            `<td>${s ? spark(s.backlog) : ""}</td><td class="verdict${s && s.is_graveyard ? " graveyard" : ""}">` +
            `${s && s.is_graveyard ? L("graveyard") + ": " + esc((s.said || s.reasons).join(" ")) : ""}</td></tr>`;
        }).join("") + `</table>`).join("");
    drawDiagram();
  }
  $("run").onclick = () => { S.firstResultMs = undefined; runSim(); };
  $("cancel").onclick = async () => {
    if (!S.job) return;
    const {data} = await api(`/api/simulate/${S.job}/cancel`, {});
    if (data && data.state) showSim(data);
  };
  document.addEventListener("keydown", ev => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      ev.preventDefault(); showTab("sim"); S.firstResultMs = undefined; runSim();
    }
  });

  // ------------------------------------------------------------------ save and disk
  async function save(force = false) {
    const {status: code, data} = await api("/api/save", {text: text(),
      base_version: S.version, force});
    if (code === 409) {
      if (confirm(L("conflict"))) return save(true);
      S.version = data.version; S.savedText = data.disk_text;
      FunnelEditor.setText(view, data.disk_text); status(L("reloaded"));
      return;
    }
    if (code !== 200) { status(data.error); return; }
    S.version = data.version; S.savedText = text(); status(L("saved"));
  }
  $("save").onclick = () => save();
  async function poll() {
    const {status: code, data} = await api("/api/file");
    if (code === 200 && data.version !== S.version) {
      if (text() === S.savedText) {
        S.version = data.version; S.savedText = data.text;
        FunnelEditor.setText(view, data.text); status(L("reloaded"));
      } else if (!S.asked) {
        S.asked = true;
        if (!confirm(L("conflict"))) {
          S.version = data.version; S.savedText = data.text;
          FunnelEditor.setText(view, data.text); status(L("reloaded"));
        } else {
          S.version = data.version;  // the next save overwrites the disk's text
        }
        S.asked = false;
      }
    }
  }

  // ------------------------------------------------------------------ export
  function download(name, file) {
    const blob = file.text != null ? new Blob([file.text], {type: file.media_type})
      : new Blob([Uint8Array.from(atob(file.base64), c => c.charCodeAt(0))]);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name.split("/").pop();
    document.body.appendChild(a); a.click(); a.remove();
  }
  function drawTargets(targets) {
    const box = $("targets");
    box.innerHTML = "";
    targets.forEach(t => {
      const row = document.createElement("div");
      row.className = "row";
      row.innerHTML = `<button type="button" data-target="${esc(t.name)}">${esc(t.name)}</button>` +
        `<span>${esc(S.labels["target:" + t.name] || t.description)}</span>`;
      row.querySelector("button").onclick = async () => {
        const {status: code, data} = await api("/api/export", {text: text(), target: t.name});
        if (code !== 200) { $("export-out").textContent = data.error; return; }
        $("export-out").textContent = data.problems.join("\n") + (data.files.length
          ? (data.problems.length ? "\n" : "") + data.files.map(f => f.name).join("\n") : "");
        data.files.forEach(f => download(f.name, f));
      };
      box.appendChild(row);
    });
  }
  $("amocrm-plan").onclick = async () => {
    const {status: code, data} = await api("/api/amocrm/plan", {text: text()});
    if (code !== 200) { $("amocrm-out").textContent = data.error; return; }
    $("amocrm-out").textContent = data.lines.concat(data.errors.map(e => fill(L("error"), {message: e}))).join("\n");
    $("amocrm-apply").disabled = !(data.changes > 0 && !data.errors.length);
  };
  $("amocrm-apply").onclick = async () => {
    if (!confirm(L("confirm_apply"))) return;
    const {status: code, data} = await api("/api/amocrm/apply", {text: text(), confirm: true});
    $("amocrm-out").textContent = code !== 200 ? data.error :
      data.lines.join("\n") + "\n" + (data.applied ? L("applied") : L("not_applied")) +
      data.refused.map(r => "\n" + fill(L("error"), {message: r})).join("");
    $("amocrm-apply").disabled = true;
  };

  // ------------------------------------------------------------------ tabs and start
  function showTab(name) {
    document.querySelectorAll("#tabs button").forEach(b => b.classList.toggle("on", b.dataset.tab === name));
    document.querySelectorAll(".pane").forEach(p => p.classList.toggle("on", p.id === "pane-" + name));
  }
  document.querySelectorAll("#tabs button").forEach(b => { b.onclick = () => showTab(b.dataset.tab); });

  function applyLabels() {
    document.documentElement.lang = S.language;
    const set = (id, k) => { $(id).textContent = L(k); };
    set("title", "title"); set("save", "save"); set("tab-live", "diagram"); set("tab-whatif", "whatif");
    set("tab-sim", "simulation"); set("tab-export", "export"); set("h-figures", "figures");
    set("run", "run"); set("cancel", "cancel"); set("reset", "reset"); set("save-scenario", "save_scenario");
    set("amocrm-plan", "amocrm_plan"); set("amocrm-apply", "amocrm_apply");
    set("l-days", "days"); set("l-reps", "reps");
    $("scenario-name").placeholder = L("scenario_name");
  }

  async function start() {
    const {status: code, data} = await api("/api/state");
    if (code !== 200) { document.body.textContent = data.error; return; }
    S.version = data.version; S.savedText = data.text; S.labels = data.labels;
    S.language = data.language; S.plurals = data.plurals;
    applyLabels();
    $("path").textContent = data.path;
    view = FunnelEditor.create($("editor"), data.text, onEdit, () => save());
    window.funnelcEditor = view;
    S.controls = data.controls;
    drawControls();
    showLive(data.live, null);
    drawTargets(data.targets);
    document.body.dataset.ready = "1";
    setInterval(poll, 2000);
  }
  start();
})();
