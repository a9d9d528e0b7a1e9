// The editor of `funnelc serve`: CodeMirror 6 with a highlighter for the funnel language
// and the server's diagnostics as underlines. Bundled by build.sh into
// src/funnelc/serve/static/editor.bundle.js (one file, no CDN), which exposes
// `window.FunnelEditor`. The page (static/app.js) owns everything else.
import {EditorState} from "@codemirror/state";
import {EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection} from "@codemirror/view";
import {defaultKeymap, history, historyKeymap, indentWithTab} from "@codemirror/commands";
import {StreamLanguage, syntaxHighlighting, HighlightStyle, bracketMatching} from "@codemirror/language";
import {searchKeymap} from "@codemirror/search";
import {setDiagnostics, lintGutter} from "@codemirror/lint";
import {tags as t} from "@lezer/highlight";

const KEYWORDS = new Set((
  "account pipeline stage team source field scenario cadence reopen owner work sla respond " +
  "patience on enter task message assign due hint color colour requires stay then copy after " +
  "when key main size hours currency language queue profile value cost budget won lost reply " +
  "exhausted now to and filled"
).split(" "));
const ATOMS = new Set((
  "exp fixed gamma lognormal triangular uniform empirical call chat email sms whatsapp telegram " +
  "viber meeting deal contact company mon tue wed thu fri sat sun jan feb mar apr may jun jul aug sep " +
  "oct nov dec fifo key-first sales qualification nurture winback delivery regulars production " +
  "telemarketing claims process conversion text number money date phone url bool int enum multi " +
  "yes no ru uk en"
).split(" "));

const funnelMode = {
  name: "funnel",
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("#")) { stream.skipToEnd(); return "comment"; }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^[0-9]+(?:\.[0-9]+)?(?:%|min|[smhdwkKM]|\/(?:hour|day|week|month))?/)) return "number";
    if (stream.match("->")) return "operator";
    if (stream.match(/^[A-Za-z][A-Za-z0-9_-]*/)) {
      const w = stream.current();
      if (KEYWORDS.has(w)) return "keyword";
      if (ATOMS.has(w)) return "atom";
      return "variableName";
    }
    stream.next();
    return null;
  },
  languageData: {commentTokens: {line: "#"}},
};

const style = HighlightStyle.define([
  {tag: t.keyword, color: "#7c3aed", fontWeight: "600"},
  {tag: t.atom, color: "#0e7490"},
  {tag: t.string, color: "#15803d"},
  {tag: t.number, color: "#b45309"},
  {tag: t.comment, color: "#6b7280", fontStyle: "italic"},
  {tag: t.operator, color: "#be123c"},
]);

function create(parent, doc, onChange, onSave) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(),
        StreamLanguage.define(funnelMode), syntaxHighlighting(style), lintGutter(),
        keymap.of([
          {key: "Mod-s", preventDefault: true, run: () => { onSave(); return true; }},
          ...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        EditorView.updateListener.of(u => { if (u.docChanged) onChange(u.state.doc.toString()); }),
        EditorView.theme({"&": {height: "100%"}, ".cm-scroller": {overflow: "auto"}}),
      ],
    }),
  });
  return view;
}

// diags: [{from, to, severity, message, actions: [{name, changes: [{from, to, insert}]}]}]
function show(view, diags, onAction) {
  const len = view.state.doc.length;
  const clamp = x => Math.max(0, Math.min(len, x));
  const list = diags.map(d => ({
    from: clamp(d.from), to: clamp(Math.max(d.to, d.from)), severity: d.severity,
    message: d.message, source: d.source,
    actions: (d.actions || []).map(a => ({
      name: a.name,
      apply(v) { v.dispatch({changes: a.changes}); if (onAction) onAction(a); },
    })),
  }));
  view.dispatch(setDiagnostics(view.state, list));
}

function getText(view) { return view.state.doc.toString(); }

function setText(view, text) {
  view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text}});
}

window.FunnelEditor = {create, show, getText, setText};
