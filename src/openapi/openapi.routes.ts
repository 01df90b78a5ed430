import path from 'node:path';
import { createRequire } from 'node:module';
import express, { Router, type Request, type Response } from 'express';
import { errorResponses } from './openapi.js';

const require = createRequire(import.meta.url);

/** swagger-ui-dist's folder: the interactive reference is served from the installed package, no CDN. */
const swaggerUiDir = (): string => path.dirname(require.resolve('swagger-ui-dist/package.json'));

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CodeSpar API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>`;

// Separate file rather than inline script, so a strict Content-Security-Policy can apply.
const INIT_JS = `window.ui = SwaggerUIBundle({ url: new URL('openapi.json', document.baseURI).pathname, dom_id: '#swagger-ui', deepLinking: true });`;

/** GET /openapi.json and GET /docs (and their /v1 forms). */
export function createDocsRouter(document: () => Record<string, unknown>): Router {
  const router = Router();
  let body: string | undefined;
  router.get(['/openapi.json', '/v1/openapi.json'], (_req: Request, res: Response) => {
    res.type('application/json; charset=utf-8').send((body ??= JSON.stringify(document())));
  });
  router.get(['/docs', '/v1/docs'], (_req: Request, res: Response) => {
    res.type('text/html; charset=utf-8').send(DOCS_HTML);
  });
  router.get(['/docs/init.js', '/v1/docs/init.js'], (_req: Request, res: Response) => {
    res.type('text/javascript; charset=utf-8').send(INIT_JS);
  });
  router.use(['/docs', '/v1/docs'], express.static(swaggerUiDir(), { index: false, maxAge: '1h' }));
  return router;
}

export const docsOperations = [
  {
    method: 'get',
    path: '/openapi.json',
    op: { operationId: 'getOpenApi', summary: 'This OpenAPI document', tags: ['Platform'], responses: { '200': { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } }, ...errorResponses(['NOT_FOUND']) } },
  },
  {
    method: 'get',
    path: '/docs',
    op: { operationId: 'getDocs', summary: 'Interactive API reference', tags: ['Platform'], responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...errorResponses(['NOT_FOUND']) } },
  },
  {
    method: 'get',
    path: '/docs/init.js',
    op: { operationId: 'getDocsInit', summary: 'Script that starts the interactive reference', tags: ['Platform'], responses: { '200': { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } }, ...errorResponses(['NOT_FOUND']) } },
  },
];
