import { dirname, join } from 'node:path';
import type { Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import { ROLES } from '../auth/principal';
import { openApiDocument, type OpenApiDocument } from '../openapi';
import { isPublic, route, type Route } from '../route';

/** What the page loads: Swagger UI's own files from the package, its start-up script, and ours. */
const PACKAGE_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-16x16.png', 'favicon-32x32.png'];
const INIT_SCRIPT = 'swagger-ui-init.js';
const AUTHORIZE_SCRIPT = 'authorize.js';
const PACKAGE_FOLDER = dirname(require.resolve('swagger-ui-dist/package.json'));
const OUR_FOLDER = join(__dirname, '..', 'swagger-ui');

const OPEN_PART =
  'This page starts with the operations open to everyone. Authorize with an API key (`X-API-Key`) or a ' +
  'bearer token and it loads the whole API from `/api/v1/openapi.json` with that credential.';

/**
 * The API's own description: the OpenAPI document of the whole route table (these routes
 * included), and Swagger UI over it at /docs. The page and Swagger UI's files need no
 * credentials (a browser cannot send a key with a page load); what the page shows before the
 * reader authorizes is only the open part of the table, and the rest comes from
 * /openapi.json, which needs credentials like every route but the probes.
 */
export function documentationRoutes(table: () => readonly Route[]): Route[] {
  let documents: { whole: OpenApiDocument; open: OpenApiDocument } | undefined;
  const documentsOf = () =>
    (documents ??= {
      whole: openApiDocument(table()),
      open: openApiDocument(table().filter(isPublic), { description: OPEN_PART }),
    });
  let page: ReturnType<typeof swaggerUiPage> | undefined;
  const pageOf = () => (page ??= swaggerUiPage(documentsOf().open));

  return [
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      summary: 'This OpenAPI 3.1 document',
      access: ROLES,
      answers: [{ status: 200, contentType: 'application/json', body: z.object({ openapi: z.literal('3.1.0') }).loose() }],
      handle: (_input, res) => {
        res.status(200).json(documentsOf().whole);
      },
    }),
    route({
      method: 'get',
      path: '/docs',
      tag: 'operations',
      summary: 'Swagger UI over this document',
      access: 'public',
      answers: [
        { status: 200, contentType: 'text/html', description: 'the page' },
        { status: 301, contentType: 'text/html', description: 'to /docs/, which its relative links need' },
      ],
      handle: (_input, res, req) => {
        // Express matches /docs and /docs/ alike; the page's links (./swagger-ui.css) need the slash.
        if (!req.path.endsWith('/')) return res.redirect(301, `${req.baseUrl}${req.path}/`);
        pageOf().html(req, res, () => undefined);
      },
    }),
    route({
      method: 'get',
      path: '/docs/{file}',
      tag: 'operations',
      summary: "Swagger UI's scripts, styles and icons, from the swagger-ui-dist package",
      access: 'public',
      params: z.object({ file: z.enum([...PACKAGE_FILES, INIT_SCRIPT, AUTHORIZE_SCRIPT]) }),
      answers: [{ status: 200, contentType: 'application/octet-stream', description: 'the file' }],
      handle: async ({ params: { file } }, res, req) => {
        if (file === INIT_SCRIPT) return pageOf().initScript(req, res, () => undefined);
        await sendFile(res, file, file === AUTHORIZE_SCRIPT ? OUR_FOLDER : PACKAGE_FOLDER);
      },
    }),
  ];
}

/** swagger-ui-express's page and start-up script over `document`, with our authorize script on the page. */
function swaggerUiPage(document: OpenApiDocument) {
  const options: swaggerUi.SwaggerUiOptions = {
    customSiteTitle: 'Order saga service API',
    customJs: `./${AUTHORIZE_SCRIPT}`,
    swaggerOptions: {
      // The default validator badge sends the document's URL to swagger.io; CSP would block it anyway.
      validatorUrl: null,
      displayRequestDuration: true,
      docExpansion: 'list',
    },
  };
  const [initScript] = swaggerUi.serveFiles(document, options);
  return { html: swaggerUi.setup(document, options), initScript: initScript! };
}

function sendFile(res: Response, file: string, root: string): Promise<void> {
  return new Promise((resolve, reject) => res.sendFile(file, { root }, (err) => (err ? reject(err) : resolve())));
}
