/**
 * The report's stylesheet, inlined and allowed by its hash in the Content-Security-Policy. The
 * page never scrolls sideways: long values the target sent (keys, URLs, bodies) wrap anywhere,
 * wide content (the matrix, code) scrolls inside its own box, and figures shrink to their width.
 */
export const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d8dde4; --bg:#f6f7f9; --card:#fff;
  --critical:#8b0000; --high:#c62828; --medium:#b26a00; --low:#0277bd; --info:#607d8b;
  --pass:#2e7d32; --fail:#c62828; --warn:#b26a00; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); overflow-wrap:anywhere; }
header, main { max-width:1180px; margin:0 auto; padding:12px 24px; }
header { border-bottom:1px solid var(--line); background:var(--card); max-width:none; }
header .inner { max-width:1180px; margin:0 auto; }
h1 { font-size:20px; margin:0 0 4px; }
h2 { font-size:17px; margin:22px 0 8px; }
h3 { font-size:15px; margin:18px 0 6px; }
h4 { font-size:14px; margin:12px 0 4px; }
.meta { color:var(--muted); font-size:13px; font-weight:normal; }
.verdict { display:inline-block; padding:5px 12px; border-radius:4px; color:#fff; margin:8px 0 6px; font-size:15px; }
.verdict strong { margin-right:6px; letter-spacing:.5px; }
.verdict.fail { background:var(--fail); } .verdict.pass { background:var(--pass); } .verdict.warn { background:var(--warn); }
.counts { display:flex; gap:6px 16px; flex-wrap:wrap; align-items:center; }
.sev-summary { display:flex; gap:6px; flex-wrap:wrap; }
.sev-pill { border:1px solid var(--line); border-radius:14px; padding:1px 9px; background:var(--card); font-size:13px; }
.badge { display:inline-block; color:#fff; font-size:11px; font-weight:700; text-transform:uppercase; padding:1px 7px; border-radius:3px; }
.sev-critical { background:var(--critical); } .sev-high { background:var(--high); } .sev-medium { background:var(--medium); }
.sev-low { background:var(--low); } .sev-info { background:var(--info); }
.below { color:var(--warn); font-size:12px; border:1px solid var(--warn); border-radius:3px; padding:0 5px; }
.counts .below { border:0; padding:0; font-size:13px; }
table { border-collapse:collapse; background:var(--card); }
th, td { border:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; font-size:13px; }
th { background:#eef1f5; }
.m-passed { color:var(--pass); } .m-fails { color:var(--fail); font-weight:700; } .m-below { color:var(--warn); font-weight:700; }
.m-skipped, .m-none { color:var(--muted); } .m-not-audited { color:#8e24aa; font-weight:700; }
.scroll { overflow-x:auto; max-width:100%; }
.matrix-box { border:1px solid var(--line); background:var(--card); width:fit-content; }
#overview h2 { margin-top:6px; }
table.matrix th, table.matrix td { font-size:12px; line-height:14px; padding:1px 4px; border-color:#e6e9ee; }
table.matrix td { text-align:center; min-width:22px; font-size:13px; cursor:default; }
table.matrix td a { display:block; text-decoration:none; color:inherit; }
table.matrix td a:hover, table.matrix td a:focus { background:#fde7e7; outline:1px solid var(--fail); }
table.matrix th.rot { vertical-align:bottom; padding:3px 2px; white-space:nowrap; font-weight:600; font-size:11px; }
table.matrix th.rot span { writing-mode:vertical-rl; transform:rotate(180deg); display:inline-block; }
table.matrix th.ep { position:sticky; left:0; z-index:1; white-space:nowrap; max-width:220px; overflow:hidden; text-overflow:ellipsis; font-weight:600; background:#f4f6f9; }
table.matrix th.corner { position:sticky; left:0; z-index:2; vertical-align:bottom; color:var(--muted); font-weight:normal; }
table.matrix tbody tr:hover th, table.matrix tbody tr:hover td { background:#f1f5fb; }
.legend { font-size:12px; color:var(--muted); margin:4px 0; }
.legend span { margin-right:8px; white-space:nowrap; }
.filters { display:flex; gap:6px 16px; flex-wrap:wrap; align-items:center; background:var(--card); border:1px solid var(--line); padding:6px 12px; border-radius:4px; font-size:13px; }
.filters fieldset { border:0; margin:0; padding:0; display:flex; gap:4px 10px; flex-wrap:wrap; align-items:center; min-width:0; }
.filters legend { float:left; font-weight:600; margin-right:6px; }
.toggles { margin:6px 0; }
.toggles button { font-size:12px; padding:2px 8px; cursor:pointer; }
.ep-group[hidden], .finding[hidden] { display:none; }
.ep-group h3 { border-bottom:1px solid var(--line); padding-bottom:2px; margin:14px 0 4px; }
.finding { background:var(--card); border:1px solid var(--line); border-left:5px solid var(--info); border-radius:4px; margin:3px 0; padding:0; }
.finding > summary { padding:4px 10px; list-style-position:inside; }
.finding[open] > summary { border-bottom:1px solid var(--line); }
.finding .ftitle { font-weight:600; }
.fbody { padding:6px 14px 10px; }
.finding.sev-border-critical { border-left-color:var(--critical); } .finding.sev-border-high { border-left-color:var(--high); }
.finding.sev-border-medium { border-left-color:var(--medium); } .finding.sev-border-low { border-left-color:var(--low); }
.finding:target > summary, .finding > summary:focus { background:#fff6e0; outline:none; }
.kv { display:grid; grid-template-columns:minmax(0,150px) minmax(0,1fr); gap:4px 12px; margin:8px 0; }
.kv dt { color:var(--muted); } .kv dd { margin:0; min-width:0; }
pre { background:#0f1720; color:#e6edf3; padding:8px 10px; border-radius:4px; overflow:auto; max-height:360px; white-space:pre-wrap; word-break:break-all; overflow-wrap:anywhere; margin:4px 0; font-size:12px; }
details { margin:6px 0; min-width:0; } summary { cursor:pointer; }
.exchange { border:1px solid var(--line); border-radius:4px; padding:6px 10px; margin:6px 0; }
.copy-row { display:flex; gap:8px; align-items:flex-start; }
.copy-row pre { flex:1; min-width:0; }
button.copy { font-size:12px; padding:3px 8px; cursor:pointer; }
figure { margin:8px 0; max-width:100%; }
figure svg { display:block; max-width:100%; height:auto; }
.timeline { background:var(--card); border:1px solid var(--line); border-radius:4px; padding:6px; }
.fp { font-family:ui-monospace,monospace; color:var(--muted); font-size:12px; }
.empty { color:var(--muted); font-style:italic; }
.notes { font-size:13px; color:var(--muted); }
.nested { padding-left:14px; }
@media (max-width: 600px) {
  header, main { padding:10px 12px; }
  .kv { grid-template-columns:minmax(0,1fr); }
  .kv dt { margin-top:4px; }
  table.matrix th.ep { max-width:120px; }
}
`;
