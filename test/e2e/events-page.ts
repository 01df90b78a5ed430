/**
 * A dashboard that follows live events: reads `api` and `token` from its query string and
 * reads GET /api/events with fetch (EventSource cannot send an Authorization header), the
 * reader docs/events.md describes. Each agent.created shows up as a list item.
 */
export const EVENTS_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Live agents</title></head>
<body>
<p id="status" data-state="connecting">Connecting…</p>
<ul id="agents"></ul>
<script>
async function follow(url, headers, onEvent, onOpen) {
  let lastEventId;
  for (;;) {
    try {
      const res = await fetch(url, { headers: { ...headers, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) } });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      onOpen(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\\n\\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const frame = {};
          for (const line of block.split('\\n')) {
            if (line.startsWith('id: ')) lastEventId = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          }
          if (frame.event) onEvent(frame);
        }
      }
    } catch (err) {
      document.getElementById('status').textContent = String(err);
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}
const q = new URLSearchParams(location.search);
const status = document.getElementById('status');
follow(q.get('api') + '/api/events?types=agent.created', { Authorization: 'Bearer ' + q.get('token') },
  (frame) => {
    const li = document.createElement('li');
    li.dataset.id = frame.data.data.id;
    li.textContent = frame.data.data.name;
    document.getElementById('agents').append(li);
  },
  (res) => {
    status.dataset.state = 'live';
    status.textContent = 'live (' + res.status + ')';
  });
</script>
</body>
</html>
`;
