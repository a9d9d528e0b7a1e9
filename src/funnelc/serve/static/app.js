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
  // A stage as the report names it: «Продажи › Расчет с сайта».
  const stageName = (pipeline, stage) => pipeline ? `${pipeline} › ${stage}` : stage;
  // A slider's value in its unit, as the language writes it («27 раб. ч», «150/нед.»).
  const valueText = (c, v) => fill(S.labels["unit:" + c.unit] || "{n}" + c.unit,
    {n: S.language && S.language !== "en" ? Number(v).toLocaleString(S.language) : String(v)});

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
    // Redraw the diagram and the tables only when their figures changed: a keystroke in a
    // comment, or one that leaves the text with errors (the last valid figures stay),
    // draws nothing again (200 stages: ~100 ms of the page's time per keystroke).
    let changed = false;
    if (live.ok && live.figures) {
      const drawn = JSON.stringify([live.graph, live.figures]);
      changed = drawn !== S.drawn;
      S.drawn = drawn;
      S.lastFigures = live.figures; S.lastGraph = live.graph;
      note.textContent = live.notes.map(n => S.labels["note:" + n] || n).join("; ");
      $("pane-live").classList.remove("stale");
      if (controls) {
        const shown = JSON.stringify(controls);
        if (shown !== S.controlsShown) { S.controlsShown = shown; S.controls = controls; drawControls(); }
      }
    } else {
      note.textContent = L("errors_keep");
      $("pane-live").classList.add("stale");
    }
    if (changed) { drawDiagram(); drawFigures(); }
    if (Object.keys(S.changes).length && live.ok) whatIf();
  }

  // ------------------------------------------------------------------ diagram
  // Laid out for the pane's width: each pipeline's nodes in rows of as many as fit, never
  // scaled down (words 11-12 px), so a 21-stage pipeline reads on a laptop, a projector
  // or a tablet; routes within a row arc above (forward) or below (back), between rows
  // they curve down or up; the labels keep a white halo over the lines they cross.
  const NW = 184, NH = 58, GX = 30, RH = NH + 96, TITLE = 30;
  // The width of a text as the page draws it (app.css: .edge-label 11px, titles 14px
  // bold, in the body's font), measured on a canvas: the diagram is laid out before it
  // is shown, and a hidden pane measures nothing.
  const LABEL_FONT = "11px system-ui, sans-serif", TITLE_FONT = "600 14px system-ui, sans-serif";
  const measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) { measure.font = font; return measure.measureText(text).width; }
  function stageFigures(pipeline, stage) {
    if (!S.lastFigures) return null;
    return S.lastFigures.stages.find(s => s.pipeline === pipeline && s.stage === stage) || null;
  }
  function diagramColumns() {
    const room = ($("diagram").clientWidth || $("right").clientWidth || 700) - 20;
    return Math.max(1, Math.floor((room + GX) / (NW + GX)));
  }
  function drawDiagram() {
    const g = S.lastGraph, box = $("diagram");
    if (!g) { box.innerHTML = ""; return; }
    const cols = diagramColumns();
    S.diagramColumns = cols;
    const pos = {}, parts = [];
    const pipes = S.lastFigures ? S.lastFigures.pipelines.map(p => p.name) : [];
    let y = 10;
    const place = (nodes, pipe) => {
      nodes.forEach((n, i) => {
        pos[n.id] = {x: 10 + (i % cols) * (NW + GX), y: y + Math.floor(i / cols) * RH, n, pipe};
      });
      y += Math.ceil(nodes.length / cols) * RH;
    };
    if (g.outside.length) { y += 20; place(g.outside, null); }
    const titles = [];  // [x, baseline, width] of each pipeline's title
    g.clusters.forEach((c, ci) => {
      y += TITLE;
      parts.push(`<text x="10" y="${y - 12}" font-weight="600" font-size="14">${esc(c.label)}</text>`);
      titles.push([10, y - 12, textWidth(c.label, TITLE_FONT)]);
      y += 20;
      place(c.nodes, pipes[ci]);
    });
    const width = 20 + Math.min(cols, Math.max(1, ...g.clusters.map(c => c.nodes.length),
                                               g.outside.length)) * (NW + GX) - GX;
    const height = y;
    // A route's label sits on its curve, at the first point from its preferred one (further
    // along for each later route of the same stage) where its box meets no node, no title
    // and no label placed before it: on cottages' 21 stages labels sat on one another
    // («копиякопия», «30% SLA» over «10% в среднем через 5 дней») and on the nodes.
    const outs = {};
    g.edges.forEach(e => { (outs[e.src] = outs[e.src] || []).push(e); });
    const bezier = (c, t) => {
      const s = 1 - t;
      return [s * s * s * c[0] + 3 * s * s * t * c[2] + 3 * s * t * t * c[4] + t * t * t * c[6],
              s * s * s * c[1] + 3 * s * s * t * c[3] + 3 * s * t * t * c[5] + t * t * t * c[7]];
    };
    const taken = [];  // boxes [left, top, right, bottom] labels must not meet
    Object.values(pos).forEach(p => taken.push([p.x - 2, p.y - 2, p.x + NW + 2, p.y + NH + 2]));
    titles.forEach(([x, yb, w]) => taken.push([x - 2, yb - 14, x + w + 2, yb + 4]));
    const meets = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    const labels = [];
    g.edges.forEach(e => {
      const a = pos[e.src], b = pos[e.dst];
      if (!a || !b) return;
      const mine = outs[e.src], k = mine.indexOf(e);
      const t0 = mine.length > 1 ? 0.3 + 0.45 * k / (mine.length - 1) : 0.5;
      let c;
      if (a.y === b.y) {
        const x1 = a.x + NW / 2, x2 = b.x + NW / 2, up = x2 > x1 ? -1 : 1;
        const h = Math.min(34, 12 + Math.abs(x2 - x1) / 12);
        const y0 = up < 0 ? a.y : a.y + NH;
        c = [x1, y0, x1, y0 + up * h, x2, y0 + up * h, x2, y0];
      } else {
        const down = b.y > a.y;
        const x1 = a.x + NW / 2, y1 = a.y + (down ? NH : 0);
        const x2 = b.x + NW / 2, y2 = b.y + (down ? 0 : NH);
        c = [x1, y1, x1, (y1 + y2) / 2, x2, (y1 + y2) / 2, x2, y2];
      }
      parts.push(`<path class="edge${e.dashed ? " dashed" : ""}" d="M${c[0]},${c[1]} C${c[2]},${c[3]}` +
        ` ${c[4]},${c[5]} ${c[6]},${c[7]}" marker-end="url(#arrow)"/>`);
      if (e.label) labels.push({text: e.label, c, t0, w: textWidth(e.label, LABEL_FONT) + 6});
    });
    // The widest first (the hardest to fit); candidates along the curve, nearest the
    // preferred point first, then a line's height above or below it.
    labels.sort((p, q) => q.w - p.w).forEach(l => {
      let best = null, bestCost = Infinity;
      const ts = [];
      for (let t = 0.08; t <= 0.921; t += 0.04) ts.push(t);
      ts.sort((p, q) => Math.abs(p - l.t0) - Math.abs(q - l.t0));
      search: for (const dy of [0, -13, 13]) {
        for (const t of ts) {
          const [x, y] = bezier(l.c, t);
          const cx = Math.min(Math.max(x, l.w / 2 + 2), width - l.w / 2 - 2);
          const box = [cx - l.w / 2, y + dy - 7, cx + l.w / 2, y + dy + 7];
          const cost = taken.reduce((sum, o) => sum + (meets(box, o)
            ? (Math.min(box[2], o[2]) - Math.max(box[0], o[0])) * (Math.min(box[3], o[3]) - Math.max(box[1], o[1]))
            : 0), 0) + (box[1] < 0 || box[3] > height ? 1e6 : 0);
          if (cost < bestCost) { best = box; bestCost = cost; }
          if (cost === 0) break search;
        }
      }
      taken.push(best);
      parts.push(`<text class="edge-label" x="${(best[0] + best[2]) / 2}" y="${best[3] - 3}"` +
        ` text-anchor="middle">${esc(l.text)}</text>`);
    });
    Object.values(pos).forEach(p => {
      const n = p.n, f = n.kind === "stage" ? stageFigures(p.pipe, n.label) : null;
      const grave = S.simStages && S.simStages.some(s => s.is_graveyard && s.pipeline === p.pipe
                                                    && s.stage === n.label);
      const cut = t => t.length > 26 ? t.slice(0, 25) + "…" : t;
      let label = cut(n.label), sub1 = "", sub2 = "";
      if (f) {
        sub1 = `${L("p_win")} ${f.said.p_win}`;
        sub2 = fill(L("per_day"), {n: f.said.arrivals}) +
          (f.team_load_text != null ? ` · ρ ${f.team_load_text}` : "");
      } else if (n.label.length > 26) {  // a source or an outcome: its name on two lines
        const at = n.label.lastIndexOf(" ", 26);
        const brk = at > 8 ? at : 26;
        label = n.label.slice(0, brk); sub1 = cut(n.label.slice(brk).trim());
      }
      if (!f && n.sla) sub2 = `SLA ${n.sla}`;
      parts.push(`<g class="node ${n.kind}${n.key ? " key" : ""}${grave ? " graveyard" : ""}"` +
        ` data-stage="${esc(n.label)}" data-pipeline="${esc(p.pipe || "")}">` +
        `<title>${esc(n.label)}</title><rect x="${p.x}" y="${p.y}" width="${NW}" height="${NH}" rx="6"/>` +
        `<text x="${p.x + 6}" y="${p.y + 17}" font-size="12">${esc(label)}</text>` +
        `<text class="sub" x="${p.x + 6}" y="${p.y + 34}">${esc(sub1)}</text>` +
        `<text class="sub" x="${p.x + 6}" y="${p.y + 50}">${esc(sub2)}</text></g>`);
    });
    box.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(L("diagram"))}"` +
      ` width="${width}" height="${height}"` +
      ` viewBox="0 0 ${width} ${height}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9"` +
      ` refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"` +
      ` fill="#9ca3af"/></marker></defs>${parts.join("")}</svg>`;
  }
  window.addEventListener("resize", () => {
    clearTimeout(S.resizeTimer);
    S.resizeTimer = setTimeout(() => { if (diagramColumns() !== S.diagramColumns) drawDiagram(); }, 120);
  });

  function drawFigures() {
    const f = S.lastFigures;
    if (!f) return;
    $("teams").innerHTML = `<tr><th scope="col">${L("team")}</th><th scope="col">${L("size")}</th>` +
      `<th scope="col">${L("load")}</th></tr>` +
      f.teams.map(t => `<tr data-team="${esc(t.name)}"><th scope="row">${esc(t.name)}</th><td class="size">${t.size}</td>` +
        `<td class="load${t.over ? " bad" : ""}">${esc(t.load_text)}</td></tr>`).join("");
    // A queue figure the closed forms cannot give is «—» with a numbered note saying why
    // (analyze's note, as the report's footnotes); one number per distinct reason.
    const notes = [];
    const mark = note => {
      if (!note) return "";
      let i = notes.indexOf(note);
      if (i < 0) { notes.push(note); i = notes.length - 1; }
      return `<sup><a href="#figure-note-${i + 1}" aria-label="${esc(fill(L("note_n"), {n: i + 1}))}">${i + 1}</a></sup>`;
    };
    const cell = (shown, s) => shown === "—" ? `— ${mark(s.note)}` : shown;
    // The SLA's share is «—» where its lower bound is 0 (it read «≥0%»): its own note.
    const slaCell = s => s.said.sla_ends === "—" && s.sla_note ? `— ${mark(s.sla_note)}`
      : esc(s.said.sla_ends);
    $("figures").innerHTML = `<tr><th scope="col">${L("stage")}</th><th scope="col">${L("p_win")}</th>` +
      `<th scope="col">${L("arrivals")}</th><th scope="col">${L("load")}</th><th scope="col">${L("p_wait")}</th>` +
      `<th scope="col">${L("wait")}</th><th scope="col">${L("breach")}</th><th scope="col">${L("sla_ends")}</th></tr>` +
      f.stages.map(s => `<tr data-stage="${esc(s.stage)}"><th scope="row">${esc(stageName(s.pipeline, s.stage))}</th>` +
        // analyze's cells as the server wrote them; a stage without an SLA has no share
        // to show: an empty cell, not an unexplained «—».
        `<td>${esc(s.said.p_win)}</td><td>${esc(s.said.arrivals)}</td><td>${esc(s.team_load_text || "—")}</td>` +
        `<td>${cell(esc(s.said.p_wait), s)}</td><td>${cell(esc(s.said.wait), s)}</td>` +
        `<td>${cell(esc(s.said.breach), s)}</td><td>${slaCell(s)}</td></tr>`).join("");
    $("figure-notes").innerHTML = notes.map((n, i) => `<li id="figure-note-${i + 1}">${esc(n)}</li>`).join("");
    // What the «!» after a load means, as analyze and the report say under their tables.
    $("load-mark").textContent = f.load_mark || "";
  }

  // ------------------------------------------------------------------ what-if sliders
  const key = c => `${c.kind}|${c.pipeline || ""}|${c.subject}`;
  function drawControls() {
    const box = $("controls");
    box.innerHTML = "";
    S.controls.forEach((c, i) => {
      const k = key(c), value = k in S.changes ? S.changes[k].value : c.value;
      const row = document.createElement("div");
      row.className = "control";
      const label = S.labels["control:" + c.kind] ? fill(S.labels["control:" + c.kind],
        {name: stageName(c.pipeline, c.subject)}) : c.label;
      row.innerHTML = `<label for="control-${i}">${esc(label)}</label><input type="range" id="control-${i}"` +
        ` min="${c.low}" max="${c.high}" step="${c.step}" value="${value}"` +
        ` aria-valuetext="${esc(valueText(c, value))}"><output for="control-${i}">${esc(valueText(c, value))}</output>`;
      const input = row.querySelector("input");
      input.dataset.kind = c.kind; input.dataset.subject = c.subject;
      if (c.pipeline) input.dataset.pipeline = c.pipeline;
      input.oninput = () => {
        const v = Number(input.value);
        row.querySelector("output").textContent = valueText(c, v);
        input.setAttribute("aria-valuetext", valueText(c, v));
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
      $("whatif-notes").textContent = "";
      drawFigures(); drawDiagram(); return;
    }
    const {status: code, data} = await api("/api/whatif", {text: text(), changes});
    if (code !== 200) { status(data.error); return; }
    $("override-lines").textContent = data.lines.join("\n");
    $("whatif-notes").textContent = (data.notes || []).join(" ");
    $("deltas").innerHTML = `<tr><td></td><td></td><th scope="col">${L("baseline")}</th>` +
      `<th scope="col">${L("variant")}</th></tr>` +
      data.deltas.map(d => `<tr data-what="${esc(d.what)}"><th scope="row">${esc(S.labels["subject:" + d.subject] ||
          stageName(d.pipeline, d.subject))}</th>` +
        `<td>${esc(S.labels["what:" + d.what] || d.what)}</td>` +
        `<td>${esc(d.baseline_text)}</td><td>${esc(d.variant_text)}</td></tr>`).join("");
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
    // The warm-up is the page's to set, as the days are: a run of 30 days or fewer failed
    // on a warm-up of 30 the page neither showed nor let change.
    const body = {text: text(), changes: changeList(), days: Number($("days").value),
                  warmup: Number($("warmup").value), reps: Number($("reps").value)};
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
  // Every row on the run's one scale (0 to the largest backlog of any stage, said in the
  // column's header), so 10 deals and 970 deals do not draw the same line.
  function spark(values, max, name) {
    if (!values.length) return "";
    const w = 120, h = 24;
    const pts = values.map((v, i) => `${(i / Math.max(1, values.length - 1) * w).toFixed(1)},` +
      `${(h - v / max * h).toFixed(1)}`).join(" ");
    return `<svg class="spark" width="${w}" height="${h}" role="img" aria-label="${esc(name)}: ` +
      `${num(Math.max(...values), 0)}"><line x1="0" y1="${h - 0.5}" x2="${w}" y2="${h - 0.5}" stroke="#e5e7eb"/>` +
      `<polyline fill="none" stroke="#6366f1" points="${pts}"/></svg>`;
  }
  const PIPELINE_COLUMNS = ["started", "won", "lost", "conversion"];
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
    const top = Math.max(1, ...v.stages.map(s => Math.max(0, ...s.backlog)));
    $("sim-results").innerHTML =
      `<p class="verdicts">${graves.length ? graves.map(s => `<span class="verdict graveyard"` +
        ` data-stage="${esc(s.stage)}">${L("graveyard")}: ${esc(stageName(s.pipeline, s.stage))}</span>`).join(", ")
        : L("no_graveyard")}</p>` +
      `<table><tr><th scope="col">${L("team")}</th><th scope="col">${L("size")}</th>` +
      `<th scope="col">${L("utilization")}</th></tr>` +
      v.teams.map(t => `<tr data-team="${esc(t.team)}"><th scope="row">${esc(t.team)}</th><td>${t.size}</td>` +
        `<td>${esc(t.utilization_text)}</td></tr>`).join("") + `</table>` +
      // The report's pipelines table: each figure with its 95% interval, as the server
      // wrote it (the report's functions), the lost total beside the won one.
      `<div class="scroll"><table id="sim-pipelines"><tr><th scope="col">${L("pipeline")}</th>` +
      PIPELINE_COLUMNS.map(k => `<th scope="col">${L("sim_" + k)}</th>`).join("") + `</tr>` +
      v.pipelines.map(p => `<tr data-pipeline="${esc(p.pipeline)}"><th scope="row">${esc(p.pipeline)}</th>` +
        PIPELINE_COLUMNS.map(k => `<td class="${k}">${esc(p.said[k])}</td>`).join("") + `</tr>`).join("") +
      // The legend says what the cells show: figures of one run (the first result, or
      // --reps 1) have no interval, and the page read «± the half-width of its 95%
      // interval» under «1 / 1» with none shown.
      `</table></div><p class="hint" id="sim-legend">${v.done < 2
        ? esc(fill(L("sim_legend_one"), {observed: num(v.observed_days, 0), warmup: num(v.warmup_days, 0)}))
        : `${esc(fill(L("sim_legend"), {observed: num(v.observed_days, 0), warmup: num(v.warmup_days, 0)}))} ${esc(L("ci_ends"))}`}</p>` +
      v.pipelines.map(p => `<h3>${esc(p.pipeline)}</h3><div class="scroll"><table>` +
        `<tr><th scope="col">${L("stage")}</th><th scope="col" class="entered">${L("entered")}</th>` +
        `<th scope="col" class="backlog">${esc(fill(L("backlog_scale"), {max: num(top, 0)}))}</th>` +
        `<th scope="col">${L("verdict")}</th></tr>` +
        p.entered_by_stage.map(([stage, n]) => {
          const s = v.stages.find(x => x.pipeline === p.pipeline && x.stage === stage);
          return `<tr data-stage="${esc(stage)}"><th scope="row">${esc(stage)}</th><td>${num(n, 0)}</td>` +
            `<td>${s ? spark(s.backlog, top, stage) : ""}</td><td class="verdict${s && s.is_graveyard ? " graveyard" : ""}">` +
            `${s && s.is_graveyard ? L("graveyard") + ": " + esc((s.said || s.reasons).join("; ")) : ""}</td></tr>`;
        }).join("") + `</table></div>`).join("");
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
  // Tabs as WAI-ARIA's tabs pattern: one in the Tab order, arrows move between them.
  const tabs = () => Array.from(document.querySelectorAll("#tabs [role=tab]"));
  function showTab(name) {
    tabs().forEach(b => {
      const on = b.dataset.tab === name;
      b.classList.toggle("on", on);
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    });
    document.querySelectorAll(".pane").forEach(p => p.classList.toggle("on", p.id === "pane-" + name));
    if (name === "live") drawDiagram();
  }
  tabs().forEach(b => { b.onclick = () => showTab(b.dataset.tab); });
  $("tabs").addEventListener("keydown", ev => {
    const all = tabs(), at = all.indexOf(document.activeElement);
    if (at < 0) return;
    const step = {ArrowRight: 1, ArrowLeft: -1}[ev.key];
    const to = ev.key === "Home" ? 0 : ev.key === "End" ? all.length - 1
      : step ? (at + step + all.length) % all.length : null;
    if (to === null) return;
    ev.preventDefault();
    showTab(all[to].dataset.tab); all[to].focus();
  });

  function applyLabels() {
    document.documentElement.lang = S.language;
    const set = (id, k) => { $(id).textContent = L(k); };
    set("title", "title"); set("save", "save"); set("tab-live", "diagram"); set("tab-whatif", "whatif");
    set("tab-sim", "simulation"); set("tab-export", "export"); set("h-figures", "figures");
    set("run", "run"); set("cancel", "cancel"); set("reset", "reset"); set("save-scenario", "save_scenario");
    set("amocrm-plan", "amocrm_plan"); set("amocrm-apply", "amocrm_apply");
    set("l-days", "days"); set("l-warmup", "warmup"); set("l-reps", "reps"); set("keys", "keyboard");
    $("tabs").setAttribute("aria-label", L("tabs"));
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
    // How to leave the editor with the keyboard (Tab indents there), said beside it.
    if (view.contentDOM) view.contentDOM.setAttribute("aria-describedby", "keys");
    S.controls = data.controls;
    drawControls();
    showLive(data.live, null);
    drawTargets(data.targets);
    document.body.dataset.ready = "1";
    setInterval(poll, 2000);
  }
  start();
})();
