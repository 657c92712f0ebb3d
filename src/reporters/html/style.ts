/** The report's stylesheet, inlined and allowed by its hash in the Content-Security-Policy. */
export const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d8dde4; --bg:#f6f7f9; --card:#fff;
  --critical:#8b0000; --high:#c62828; --medium:#b26a00; --low:#0277bd; --info:#607d8b;
  --pass:#2e7d32; --fail:#c62828; --warn:#b26a00; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header, main { max-width:1180px; margin:0 auto; padding:16px 24px; }
header { border-bottom:1px solid var(--line); background:var(--card); max-width:none; }
header .inner { max-width:1180px; margin:0 auto; }
h1 { font-size:20px; margin:0 0 4px; }
h2 { font-size:17px; margin:28px 0 10px; }
h3 { font-size:15px; margin:0; }
.meta { color:var(--muted); font-size:13px; }
.verdict { display:inline-block; font-weight:700; padding:4px 12px; border-radius:4px; color:#fff; margin:8px 0; }
.verdict.fail { background:var(--fail); } .verdict.pass { background:var(--pass); } .verdict.warn { background:var(--warn); }
.sev-summary { display:flex; gap:8px; flex-wrap:wrap; margin:6px 0; }
.sev-pill { border:1px solid var(--line); border-radius:14px; padding:2px 10px; background:var(--card); font-size:13px; }
.badge { display:inline-block; color:#fff; font-size:11px; font-weight:700; text-transform:uppercase; padding:1px 7px; border-radius:3px; }
.sev-critical { background:var(--critical); } .sev-high { background:var(--high); } .sev-medium { background:var(--medium); }
.sev-low { background:var(--low); } .sev-info { background:var(--info); }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { border:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; font-size:13px; }
th { background:#eef1f5; }
.st-passed { color:var(--pass); font-weight:600; } .st-failed { color:var(--fail); font-weight:700; }
.st-skipped { color:var(--muted); } .st-inconclusive, .st-error { color:var(--warn); font-weight:600; }
.filters { display:flex; gap:16px; flex-wrap:wrap; align-items:center; background:var(--card); border:1px solid var(--line); padding:8px 12px; border-radius:4px; }
.filters fieldset { border:0; margin:0; padding:0; display:flex; gap:8px; flex-wrap:wrap; align-items:center; }
.filters legend { float:left; font-weight:600; margin-right:6px; }
.finding { background:var(--card); border:1px solid var(--line); border-left:5px solid var(--info); border-radius:4px; margin:14px 0; padding:12px 16px; }
.finding.sev-border-critical { border-left-color:var(--critical); } .finding.sev-border-high { border-left-color:var(--high); }
.finding.sev-border-medium { border-left-color:var(--medium); } .finding.sev-border-low { border-left-color:var(--low); }
.finding[hidden] { display:none; }
.kv { display:grid; grid-template-columns:150px 1fr; gap:4px 12px; margin:8px 0; }
.kv dt { color:var(--muted); } .kv dd { margin:0; }
pre { background:#0f1720; color:#e6edf3; padding:8px 10px; border-radius:4px; overflow:auto; max-height:360px; white-space:pre-wrap; word-break:break-all; margin:4px 0; font-size:12px; }
details { margin:6px 0; } summary { cursor:pointer; }
.exchange { border:1px solid var(--line); border-radius:4px; padding:6px 10px; margin:6px 0; }
.copy-row { display:flex; gap:8px; align-items:flex-start; }
.copy-row pre { flex:1; }
button.copy { font-size:12px; padding:3px 8px; cursor:pointer; }
.timeline { background:var(--card); border:1px solid var(--line); border-radius:4px; padding:6px; margin:8px 0; overflow-x:auto; }
.legend { font-size:12px; color:var(--muted); }
.fp { font-family:ui-monospace,monospace; color:var(--muted); font-size:12px; }
.empty { color:var(--muted); font-style:italic; }
.scroll { overflow-x:auto; }
table.matrix th, table.matrix td { font-size:12px; padding:3px 6px; white-space:nowrap; }
table.matrix td[title] { cursor:help; }
.notes { font-size:13px; color:var(--muted); }
`;
