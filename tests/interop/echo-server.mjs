// A WebSocket echo server on loopback for the first browser test: every
// message comes back unchanged. Prints one JSON line when it is listening:
//   {"ready":true,"url":"ws://127.0.0.1:PORT"}
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const server = new WebSocketServer({ host: '127.0.0.1', port });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.on('listening', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ ready: true, url: `ws://127.0.0.1:${port}` }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
