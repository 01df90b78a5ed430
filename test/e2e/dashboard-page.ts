/**
 * A minimal browser dashboard: reads `api` and `org` from its query string, lists the org's
 * agents with a cross-origin fetch (the x-org-id header makes it a preflighted request) and
 * shows what it got, or the error the browser gave it.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Agents dashboard</title></head>
<body>
<h1>Agents</h1>
<p id="status" data-state="loading">Loading…</p>
<p>API version <span id="api-version"></span>, request <span id="request-id"></span></p>
<ul id="agents"></ul>
<script>
(async () => {
  const q = new URLSearchParams(location.search);
  const status = document.getElementById('status');
  try {
    const res = await fetch(q.get('api') + '/api/agents', { headers: { 'x-org-id': q.get('org') } });
    document.getElementById('api-version').textContent = res.headers.get('x-api-version') ?? '';
    document.getElementById('request-id').textContent = res.headers.get('x-request-id') ?? '';
    const agents = await res.json();
    const list = document.getElementById('agents');
    for (const a of agents) {
      const li = document.createElement('li');
      li.dataset.id = a.id;
      li.textContent = a.id + ' ' + a.name;
      list.append(li);
    }
    status.textContent = res.status + ': ' + agents.length + ' agent(s)';
    status.dataset.state = 'done';
  } catch (err) {
    status.textContent = 'Error: ' + err.message;
    status.dataset.state = 'error';
  }
})();
</script>
</body>
</html>`;
