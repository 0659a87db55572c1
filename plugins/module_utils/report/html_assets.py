# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The style sheet and the one script of report.html, as text, and the page's Content-Security-Policy.

The script is allowed by its SHA-256 alone (no 'unsafe-inline'), so any <script> that router text
might smuggle past the escaping still cannot run. Change JS and the hash follows by itself.
"""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2530;--muted:#5d6b7a;--line:#dfe3e8;--accent:#2f5d8a;
--ok:#2e7d4f;--ok-bg:#e6f4ec;--bad:#b3261e;--bad-bg:#fbe9e7;--warn:#9a6700;--warn-bg:#fff4d6;
--na:#5b5f97;--na-bg:#ecebf7;--info:#3d5a80;--info-bg:#e8eef6}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
header.top{background:#1f2d3d;color:#fff;padding:18px 32px}
header.top h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header.top p{margin:4px 0 0;color:#c3ccd6;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:20px 32px 48px}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 18px;font-weight:600;border:1px solid}
.banner.dry_run{background:#eef4fb;border-color:#b7cde6;color:#23476b}
.banner.applied{background:#fdf1e3;border-color:#ecc48f;color:#7a4304}
.banner small{display:block;font-weight:400;margin-top:2px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:12px;margin-bottom:22px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .n{font-size:26px;font-weight:650;line-height:1.1;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.5px;margin-top:2px}
.card.bad .n{color:var(--bad)}.card.ok .n{color:var(--ok)}.card.na .n{color:var(--na)}.card.warn .n{color:var(--warn)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin-bottom:18px}
section>h2{font-size:16px;margin:0 0 10px;font-weight:600}
h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th{background:#f0f2f5;font-weight:600;white-space:nowrap}
th button{all:unset;cursor:pointer;display:inline-flex;gap:4px;align-items:center}
th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:3px}
th button::after{content:"\\2195";color:#9aa5b1;font-size:11px}
th[aria-sort=ascending] button::after{content:"\\25B2";color:var(--accent)}
th[aria-sort=descending] button::after{content:"\\25BC";color:var(--accent)}
tbody tr:hover{background:#f8fafc}
.pill{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
.s-compliant{background:var(--ok-bg);color:var(--ok)}.s-non_compliant{background:var(--bad-bg);color:var(--bad)}
.s-not_assessed{background:var(--na-bg);color:var(--na)}
.sev-error{background:var(--bad-bg);color:var(--bad)}.sev-warning{background:var(--warn-bg);color:var(--warn)}
.sev-info{background:var(--info-bg);color:var(--info)}.waived{background:#eceff1;color:#546e7a}
.muted{color:var(--muted)}
.why{font-size:12px;color:var(--muted);margin-top:2px}.act{margin:1px 0 3px}
a{color:var(--accent)}
.toolbar{display:flex;gap:8px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
.toolbar input{padding:6px 10px;border:1px solid var(--line);border-radius:6px;min-width:240px;font:inherit}
.toolbar button{padding:6px 10px;border:1px solid var(--line);background:#fff;border-radius:6px;font:inherit;cursor:pointer}
.toolbar button:focus-visible,.toolbar input:focus-visible{outline:2px solid var(--accent)}
details.router{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fff}
details.router>summary{cursor:pointer;padding:9px 12px;display:flex;gap:10px;align-items:center;list-style:none}
details.router>summary::-webkit-details-marker{display:none}
details.router>summary::before{content:"\\25B8";color:var(--muted);width:10px}
details.router[open]>summary::before{content:"\\25BE"}
details.router>summary .host{font-weight:600;min-width:160px}
details.router>summary .meta{color:var(--muted);font-size:12px}
details.router .body{padding:4px 16px 14px;border-top:1px solid var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:10px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;font-size:12px;
margin:6px 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
ul.findings{list-style:none;padding:0;margin:6px 0}ul.findings li{padding:4px 0;border-bottom:1px dashed var(--line)}
ul.findings li.is-waived{color:var(--muted)}ul.findings li.is-waived .pill.sev-error,
ul.findings li.is-waived .pill.sev-warning{background:#eceff1;color:#546e7a}
ul.findings .code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:0 6px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#3b4652}
svg .flow-label,svg .bar-label{text-anchor:end}
svg .tick{fill:#6b7785}svg .grid{stroke:#e6e9ed}svg .axis{stroke:#9aa5b1}svg .band{fill:#f7f8fa}
.pt-persistent{fill:#c62828}.pt-resolved{fill:#fff;stroke:#c62828;stroke-width:1.6}
.pt-transient{fill:#e0a100}.pt-foreign{fill:#6a4fb3}.pt-other{fill:#8a96a3}
.span{stroke-width:2;opacity:.35}.span-persistent,.span-resolved{stroke:#c62828}.span-transient{stroke:#e0a100}
.span-foreign{stroke:#6a4fb3}.span-other{stroke:#8a96a3}
.bar{fill:#5b7fa6}.bar-desync{fill:#c62828}
.tr-found{fill:#c62828}.tr-fixed{fill:#2e7d4f}.tr-recurring{fill:#6a1b9a}.swatch-found{background:#c62828}.swatch-fixed{background:#2e7d4f}.swatch-recurring{background:#6a1b9a}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.swatch-bar{background:#5b7fa6}.swatch-desync{background:#c62828}
ul.legend{list-style:none;display:flex;gap:18px;padding:0;margin:6px 0 0;font-size:12px;color:var(--muted);flex-wrap:wrap}
ul.legend li{display:flex;align-items:center;gap:5px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
.grid2{display:grid;grid-template-columns:1fr;gap:18px}
@media print{details.router{break-inside:avoid}.toolbar{display:none}}
"""

JS = """
(function () {
  "use strict";
  var table = document.getElementById("router-table");
  if (table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th[data-type]"));
    var body = table.tBodies[0];
    var cellValue = function (row, index, type) {
      var cell = row.cells[index];
      var raw = cell.getAttribute("data-sort");
      if (raw === null) { raw = cell.textContent; }
      if (type === "num") { var n = parseFloat(raw); return isNaN(n) ? -Infinity : n; }
      return raw.toLowerCase();
    };
    var natural = function (a, b) {
      return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
    };
    heads.forEach(function (th) {
      var button = th.querySelector("button");
      button.addEventListener("click", function () {
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var type = th.getAttribute("data-type");
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var sign = dir === "ascending" ? 1 : -1;
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
          return {row: row, key: cellValue(row, index, type), host: cellValue(row, 0, "text"), i: i};
        });
        rows.sort(function (a, b) {
          var c = type === "num" ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : natural(a.key, b.key);
          if (c === 0) { c = natural(a.host, b.host); }
          return c * sign || a.i - b.i;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
        var status = document.getElementById("sort-status");
        if (status) { status.textContent = "Sorted by " + button.textContent + ", " + dir + "."; }
      });
    });
  }
  var filter = document.getElementById("router-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      Array.prototype.forEach.call(document.querySelectorAll("#router-table tbody tr, details.router"), function (el) {
        el.hidden = q !== "" && (el.getAttribute("data-host") || "").toLowerCase().indexOf(q) === -1;
      });
    });
  }
  var setAll = function (open) {
    Array.prototype.forEach.call(document.querySelectorAll("details.router"), function (d) {
      if (!d.hidden) { d.open = open; }
    });
  };
  var ex = document.getElementById("expand-all");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  var co = document.getElementById("collapse-all");
  if (co) { co.addEventListener("click", function () { setAll(false); }); }
  var openHash = function () {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  };
  window.addEventListener("hashchange", openHash);
  openHash();
}());
"""


SCRIPT_HASH = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-%s'; "
       "base-uri 'none'; form-action 'none'" % SCRIPT_HASH)
