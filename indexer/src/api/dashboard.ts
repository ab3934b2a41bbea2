// A single-page dashboard served by the indexer: it reads everything from the indexer's own GraphQL API.
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tributary dashboard</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; } table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ec; }
  td.mono { font-family: ui-monospace, monospace; font-size: 12px; } .empty { color: #777; }
</style>
</head>
<body>
<h1>Tributary</h1>
<p>Assets registered on-chain, as indexed. Query anything at <a href="/graphql">/graphql</a>.</p>
<h2>Assets</h2>
<table id="assets"><thead><tr><th>kind</th><th>asset id</th><th>owner</th><th>metadata</th></tr></thead>
<tbody><tr><td colspan="4" class="empty">loading…</td></tr></tbody></table>
<script type="module">
const query = "{ assets(orderBy: \\"registeredBlock\\") { items { id kind owner metadataUri } } }";
const res = await fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
const { data } = await res.json();
const body = document.querySelector("#assets tbody");
body.replaceChildren(...data.assets.items.map((a) => {
  const tr = document.createElement("tr");
  for (const [value, mono] of [[a.kind], [a.id, true], [a.owner, true], [a.metadataUri]]) {
    const td = document.createElement("td");
    td.textContent = value;
    if (mono) td.className = "mono";
    tr.append(td);
  }
  return tr;
}));
if (data.assets.items.length === 0) body.innerHTML = '<tr><td colspan="4" class="empty">no assets yet</td></tr>';
</script>
</body>
</html>
`;
