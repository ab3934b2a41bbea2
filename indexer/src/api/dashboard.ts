// A single-page dashboard served by the indexer: epochs, top earners, top assets and all assets, from its own API.
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tributary dashboard</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; } table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ec; }
  td.mono { font-family: ui-monospace, monospace; font-size: 12px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .empty { color: #777; } .status-final { color: #137333; } .status-vetoed { color: #b3261e; } .status-pending { color: #8a5a00; }
</style>
</head>
<body>
<h1>Tributary</h1>
<p id="status">Indexed on-chain state. Query anything at <a href="/graphql">/graphql</a>, <code>/sql</code> or the REST API under <code>/api</code>.</p>
<h2>Epochs</h2>
<table id="epochs"><thead><tr><th>epoch</th><th>status</th><th>charged</th><th>license fees</th><th>payers</th><th>claimable at</th><th>manifest</th></tr></thead><tbody></tbody></table>
<h2>Top earners</h2>
<table id="earners"><thead><tr><th>account</th><th>token</th><th>claimed</th><th>claims</th></tr></thead><tbody></tbody></table>
<h2>Top assets</h2>
<table id="top-assets"><thead><tr><th>asset</th><th>kind</th><th>licenses</th><th>license fees</th></tr></thead><tbody></tbody></table>
<h2>Assets</h2>
<table id="assets"><thead><tr><th>kind</th><th>asset id</th><th>owner</th><th>metadata</th><th>licenses</th></tr></thead><tbody></tbody></table>
<script type="module">
// Amounts arrive as decimal strings in base units; they are shown as they are, never through floats.
const cell = (value, cls) => { const td = document.createElement("td"); td.textContent = value ?? ""; if (cls) td.className = cls; return td; };
function fill(id, rows, columns) {
  const body = document.querySelector("#" + id + " tbody");
  if (rows.length === 0) { body.innerHTML = '<tr><td colspan="' + columns.length + '" class="empty">nothing yet</td></tr>'; return; }
  body.replaceChildren(...rows.map((r) => { const tr = document.createElement("tr"); tr.append(...columns.map(([f, cls]) => cell(f(r), cls))); return tr; }));
}
const get = async (path) => (await fetch(path)).json();
const time = (s) => new Date(Number(s) * 1000).toISOString().replace("T", " ").slice(0, 19);
const sumOf = (totals, key) => totals.map((t) => t[key]).join(" + ") || "0";
const [epochs, earners, top, status] = await Promise.all([get("/api/epochs?limit=50"), get("/api/top/earners"), get("/api/top/assets"), get("/api/status")]);
fill("epochs", epochs.epochs, [[(e) => e.id], [(e) => e.status, null], [(e) => sumOf(e.totals, "charged"), "num"], [(e) => sumOf(e.totals, "licenseFees"), "num"], [(e) => e.payerCount, "num"], [(e) => time(e.claimableAt)], [(e) => e.manifestUri, "mono"]]);
document.querySelectorAll("#epochs tbody tr").forEach((tr, i) => { const e = epochs.epochs[i]; if (e) tr.children[1].className = "status-" + e.status; });
fill("earners", earners.earners, [[(e) => e.account, "mono"], [(e) => e.token, "mono"], [(e) => e.claimed, "num"], [(e) => e.claimCount, "num"]]);
fill("top-assets", top.assets, [[(a) => a.assetId, "mono"], [(a) => a.kind], [(a) => a.licensesMinted, "num"], [(a) => a.licenseFees, "num"]]);
if (status.paused) document.querySelector("#status").prepend("The ledger is paused. ");
const query = "{ assets(orderBy: \\"registeredBlock\\", limit: 200) { items { id kind owner metadataUri licenseCount } } }";
const res = await fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
const { data } = await res.json();
fill("assets", data.assets.items, [[(a) => a.kind], [(a) => a.id, "mono"], [(a) => a.owner, "mono"], [(a) => a.metadataUri], [(a) => a.licenseCount, "num"]]);
</script>
</body>
</html>
`;
