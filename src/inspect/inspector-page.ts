/**
 * The page `serveInspector` serves: the Stately inspector (its UI loads from stately.ai) fed with
 * the events from this process's WebSocket, and under it a plain list of them, which works offline.
 */
export function inspectorPage(ui: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>recq inspector</title>
<style>
  body { margin: 0; font: 13px system-ui, sans-serif; display: grid; grid-template-rows: 70vh auto; height: 100vh; }
  iframe { width: 100%; height: 100%; border: 0; border-bottom: 1px solid #ccc; }
  #list { overflow: auto; padding: 0 12px; }
  #list p { margin: 2px 0; font-family: ui-monospace, monospace; white-space: pre-wrap; }
</style>
</head>
<body>
<iframe id="inspector" src="${ui}" title="Stately inspector"></iframe>
<div id="list"><h3>Events (this list needs no network; the inspector above loads from ${ui})</h3></div>
<script>
  const iframe = document.getElementById('inspector');
  const list = document.getElementById('list');
  const names = new Map();
  const pending = [];
  let connected = false;
  addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      for (const event of pending.splice(0)) iframe.contentWindow.postMessage(event, '*');
    }
  });
  function show(event) {
    if (event.type === '@xstate.actor') names.set(event.sessionId, event.name);
    const who = names.get(event.sessionId) || event.sessionId;
    const what = event.type === '@xstate.snapshot' ? JSON.stringify({ value: event.snapshot.value, context: event.snapshot.context }) : JSON.stringify(event.event || event.snapshot || {});
    const line = document.createElement('p');
    line.textContent = new Date(Number(event.createdAt)).toISOString().slice(11, 23) + ' ' + who + ' ' + event.type.replace('@xstate.', '') + ' ' + what;
    list.appendChild(line);
  }
  const socket = new WebSocket('ws://' + location.host + '/');
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    show(event);
    if (connected) iframe.contentWindow.postMessage(event, '*');
    else pending.push(event);
  };
</script>
</body>
</html>
`;
}
