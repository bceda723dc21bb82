/**
 * The web stations, served by the service itself: one page, its script and its stylesheet. They carry no
 * data; everything a station shows comes from the API under the signed-in user's token.
 */
import type { FastifyInstance } from 'fastify';
import { webBundle } from './build.ts';

const PAGE = `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>РЦОИ: обработка бланков</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

// Only this origin's script and styles; images are the API's (as blob: URLs); no framing.
const CSP =
  "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

// The page and its assets hold no data: anyone may load them, the sign-in happens inside.
const PUBLIC = { config: { public: true } } as const;

export function webRoutes(app: FastifyInstance): void {
  app.get('/', PUBLIC, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(PAGE),
  );
  app.get('/assets/app.js', PUBLIC, async (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(Buffer.from((await webBundle()).js)),
  );
  app.get('/assets/app.css', PUBLIC, async (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(Buffer.from((await webBundle()).css)),
  );
}
