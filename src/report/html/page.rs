//! The page shell every conformance HTML report shares (`run`'s and `fuzz`'s): one
//! self-contained document, inline CSS with a print layout, no script, no external font or
//! image. The markup is XHTML-compatible (void elements closed, every attribute quoted), so
//! the whole page parses as XML and tests read it with quick-xml.

use crate::output::escape::html_text;

/// A whole page: `title` in `<title>` and the `<h1>`, `body` as given (already escaped).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><style>{CSS}</style></head>\n<body>\n<h1>{title}</h1>\n{body}</body></html>\n",
        title = html_text(title),
    )
}

/// A `<details>` disclosure with a summary line and preformatted text.
pub fn details(summary: &str, text: &str) -> String {
    format!(
        "<details><summary>{}</summary><pre>{}</pre></details>",
        html_text(summary),
        html_text(text)
    )
}

/// The colour class of a verdict word (`pass`, `fail`, `skip`, `error`).
pub fn badge(class: &str, word: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", html_text(word))
}

const CSS: &str = "\
:root{--pass:#1a7f37;--fail:#cf222e;--skip:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1300px;padding:0 16px;color:#1f2328}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}\
h3{font-size:15px;margin:18px 0 6px}\
.verdict{font-size:26px;font-weight:700;padding:10px 16px;border-radius:6px;color:#fff;display:inline-block}\
.verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}.verdict.interrupted{background:#6e40c9}\
.banner{background:#fff8c5;border:2px solid var(--fail);padding:8px 12px;font-weight:700;margin:8px 0}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}\
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}\
th{background:var(--bg)}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.failed td{background:#ffebe9}tr.first td{border-top:2px solid #8c959f}tr.error td{background:#fff1e5}\
.badge{font-weight:700;padding:1px 6px;border-radius:4px;color:#fff;font-size:12px}\
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.skip{background:var(--skip)}.badge.error{background:#bc4c00}\
.muted{color:var(--muted)}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}\
pre{background:var(--bg);padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}\
details{margin:4px 0}summary{cursor:pointer;color:#0969da}\
section.failure{border:1px solid var(--fail);border-left:6px solid var(--fail);border-radius:6px;padding:8px 16px;margin:16px 0}\
svg.sequence{display:block;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif}\
svg .life{stroke:#8c959f;stroke-dasharray:4 4}svg .actor{fill:var(--bg);stroke:#57606a}\
svg .call{stroke:#0969da;stroke-width:1.6}svg .answer{stroke:#1a7f37;stroke-width:1.6;stroke-dasharray:6 3}\
svg .refused{stroke:#9a6700}svg line.bad{stroke:var(--fail);stroke-width:2.6}svg text.bad{fill:var(--fail);font-weight:700;stroke:none}\
svg .mark{fill:#ffebe9;stroke:var(--fail)}\
ul.checks li{margin:4px 0}.expected{color:var(--pass)}.actual{color:var(--fail)}\
@media print{body{margin:0;max-width:none;font-size:11px}details>*{display:block}details pre{max-height:none}\
summary{color:#000}section.failure,figure,table{break-inside:avoid}a{color:#000}\
.verdict{border:2px solid #000;color:#000;background:none!important}.badge{border:1px solid #000;color:#000;background:none!important}}\
";
