// The reference the benchmark compares against: a bare Express 5 app, nothing else.
// With REQUEST_CLASSES=1 (an extra, informational row, not the reference): the same app served
// the way server.ts serves ours, on request/response objects built with the app's prototypes.
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.json({ ok: true });
});
if (process.env.REQUEST_CLASSES === '1') {
  const { createHttpServer } = await import('../dist/http/http-server.js');
  createHttpServer(app).listen(Number(process.env.PORT), '127.0.0.1');
} else {
  app.listen(Number(process.env.PORT), '127.0.0.1');
}
