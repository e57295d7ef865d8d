// End-to-end test of the console against the real local server, in Debian's
// Chromium driven by playwright-core. It builds and starts cmd/portico on free
// ports with a fresh data dir, signs in, creates an API, a version and an
// endpoint on the demo upstream (meeting and fixing a validation error on the
// way), publishes, calls the gateway, checks the audit log, and stops the
// server. Screenshots of each main screen go to e2e/screenshots/ (ignored).
//
// Run: npm run e2e (needs `npm run build` first, Go, and /usr/bin/chromium).
// With CI=true a missing Chromium is a failure, not a skip.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { checkBundle } from './bundle-size.mjs';
import { startReceiver, webhooksFlow } from './webhooks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const frontend = path.resolve(here, '..');
const repo = path.resolve(frontend, '..');
const shots = path.join(here, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CI = process.env.CI === 'true' || process.env.CI === '1';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const a11y = {};

/**
 * axeScan runs axe-core on the page as it is and fails on serious or
 * critical violations; the count of lesser ones is reported.
 */
async function axeScan(page, name) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 12).map((n) => n.target.join(" ").slice(-60) + " :: " + (n.any[0]?.message ?? "").slice(0, 160)) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  a11y[name] = violations.map((v) => `${v.id}:${v.impact}`).join(',') || 'none';
  return serious.map((v) => ({ screen: name, ...v }));
}

let passed = 0;
let currentPage = null;
let failed = 0;
const timings = {};

function log(...a) {
  console.log('[e2e]', ...a);
}

async function step(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
    passed++;
    const ms = Math.round(performance.now() - t0);
    timings[name] = ms;
    console.log(`  ok   ${name} (${ms} ms)`);
  } catch (e) {
    failed++;
    if (currentPage) await currentPage.screenshot({ path: path.join(shots, `failure-${name.replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => {});
    console.log(`  FAIL ${name}: ${e instanceof Error ? e.stack : e}`);
    throw e;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = r.status;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} not ready after ${ms} ms: ${last}`);
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    const msg = `${CHROMIUM} is missing (apt-get install chromium)`;
    if (CI) throw new Error(msg);
    log(`SKIP: ${msg}`);
    console.log('0 passed, 0 failed, 1 skipped');
    return;
  }
  if (!existsSync(path.join(frontend, 'dist', 'index.html'))) throw new Error('frontend/dist is missing: run npm run build first');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'portico-e2e-'));
  const bin = path.join(tmp, 'portico');
  mkdirSync(shots, { recursive: true });
  let server;
  let context;
  let receiver;
  try {
    await step('initial JS within the 300 KB gzip budget', async () => {
      const b = checkBundle(path.join(frontend, 'dist'));
      timings['initial JS gzip bytes'] = b.total;
      log(b.report);
    });

    await step('build the local server', async () => {
      const r = spawnSync('go', ['build', '-o', bin, './cmd/portico'], { cwd: repo, stdio: 'inherit' });
      if (r.status !== 0) throw new Error('go build ./cmd/portico failed');
    });

    const port = await freePort();
    const upPort = await freePort();
    // A webhook receiver on loopback: allowed through the SSRF guard beside the demo upstream.
    receiver = await startReceiver();
    const base = `http://127.0.0.1:${port}`;
    await step('start the local server', async () => {
      server = spawn(bin, [], {
        cwd: repo,
        env: {
          ...process.env,
          PORTICO_DATA_DIR: path.join(tmp, 'data'),
          PORTICO_LISTEN: `127.0.0.1:${port}`,
          PORTICO_DEMO_UPSTREAM_LISTEN: `127.0.0.1:${upPort}`,
          PORTICO_UPSTREAM_ALLOW: `127.0.0.1:${upPort},127.0.0.1:${receiver.port}`,
          PORTICO_CONSOLE_DIR: path.join(frontend, 'dist'),
          PORTICO_REFRESH_INTERVAL: '500ms',
          PORTICO_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      server.stdout.on('data', (d) => (out += d));
      server.stderr.on('data', (d) => process.stderr.write(d));
      server.on('exit', (code) => code && log(`server exited ${code}\n${out}`));
      await waitFor(`${base}/console/`, 30_000);
    });

    const browserStart = performance.now();
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1366, height: 860 },
    });
    timings['browser start'] = Math.round(performance.now() - browserStart);
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    currentPage = page;
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    await step('sign in with the dev login', async () => {
      await page.goto(`${base}/console/`);
      await page.getByRole('heading', { name: 'Sign in to Portico' }).waitFor();
      await page.screenshot({ path: path.join(shots, '01-sign-in.png'), animations: 'disabled' });
      await page.getByLabel('Tenant').fill('demo');
      await page.getByLabel('Email').fill('owner@demo.local');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'APIs' }).waitFor();
      await page.getByRole('link', { name: 'Items' }).waitFor();
    });

    await step('first render of the APIs page < 1 s', async () => {
      const t0 = performance.now();
      await page.goto(`${base}/console/apis`);
      await page.getByRole('link', { name: 'Items' }).waitFor();
      const ms = Math.round(performance.now() - t0);
      timings['APIs page first render'] = ms;
      await page.screenshot({ path: path.join(shots, '02-apis.png'), animations: 'disabled' });
      if (ms >= 1000) throw new Error(`APIs page took ${ms} ms`);
    });

    await step('create an API', async () => {
      await page.getByRole('button', { name: 'New API' }).click();
      const dlg = page.getByRole('dialog', { name: 'New API' });
      await dlg.getByLabel('Name').fill('Shop');
      await dlg.getByLabel('Slug').fill('shop');
      await dlg.getByLabel('Base path').fill('/shop');
      await dlg.getByRole('button', { name: 'Create API' }).click();
      await page.getByRole('heading', { name: 'Shop', level: 2 }).waitFor();
    });

    await step('create version v1', async () => {
      await page.getByRole('textbox', { name: 'New version' }).fill('v1');
      await page.getByRole('button', { name: 'Create version' }).click();
      await page.getByText('Version v1').waitFor();
    });

    await step('add an endpoint: see a validation error, fix it', async () => {
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('Path template').fill('products/{id}');
      // The server's dry run answers at /path: shown beside the field.
      await dlg.getByText('must start with /').waitFor();
      await page.screenshot({ path: path.join(shots, '03-endpoint-validation.png'), animations: 'disabled' });
      await dlg.getByLabel('Path template').fill('/products/{id}');
      await dlg.getByLabel('Upstream path').fill('/items/{id}');
      await dlg.getByText('must start with /').waitFor({ state: 'detached' });
      await dlg.getByText('No problems found.').waitFor();
      await dlg.getByRole('button', { name: 'Add endpoint' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByRole('table', { name: 'Endpoints of v1' }).getByText('/products/{id}').waitFor();
    });

    await step('transform editor: live preview, a failing step, save', async () => {
      await page.getByRole('link', { name: 'Transforms', exact: true }).click();
      await page.getByRole('button', { name: 'New transform' }).click();
      await page.getByRole('textbox', { name: /^Name/ }).fill('Order view');
      await page.getByRole('textbox', { name: /^Slug/ }).fill('order-view');
      // The template runs on the sample as soon as the editor opens.
      const out = page.getByRole('textbox', { name: 'Output message' });
      await out.getByText('Ada Lovelace').waitFor();
      await page.getByText('pass', { exact: true }).first().waitFor();
      // Require a field the sample lacks: the failing step is named.
      const doc = page.getByRole('textbox', { name: 'Transform document' });
      await doc.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(
        JSON.stringify({ steps: [{ map: { fields: [{ to: '/orderId', from: 'body.id', type: 'string' }] } }, { map: { fields: [{ to: '/sku', from: 'body.sku', required: true }] } }] }, null, 2),
      );
      await page.getByRole('alert').filter({ hasText: 'Step 2 (map) failed' }).waitFor();
      await page.screenshot({ path: path.join(shots, '08-transform-editor.png'), animations: 'disabled' });
      await doc.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(JSON.stringify({ steps: [{ map: { fields: [{ to: '/orderId', from: 'body.id', type: 'string' }] } }] }, null, 2));
      await page.getByText('Preview up to date.').waitFor();
      await page.getByRole('textbox', { name: 'New test case name' }).fill('keeps the id');
      await page.getByRole('button', { name: 'Add sample as test case' }).click();
      await page.getByLabel('Test case results').getByText('keeps the id').waitFor();
      await page.getByRole('button', { name: 'Create transform' }).click();
      await page.waitForURL('**/console/transforms/order-view');
      await page.getByText('1 test pass').waitFor();
    });

    await step('wasm transform: upload a module, the refusal is shown', async () => {
      await page.getByRole('link', { name: 'Transforms', exact: true }).click();
      await page.getByRole('button', { name: 'New transform' }).click();
      await page.getByRole('textbox', { name: /^Name/ }).fill('Rate card');
      await page.getByRole('textbox', { name: /^Slug/ }).fill('rate-card');
      await page.getByText('WebAssembly module').click();
      await page.getByRole('button', { name: 'Create transform' }).click();
      await page.waitForURL('**/console/transforms/rate-card');
      // The stored transform's editor (it replaces the creation form).
      await page.getByRole('button', { name: 'Save transform' }).waitFor();
      await page.getByText('no module', { exact: true }).waitFor();
      // A well-formed but empty module: it exports nothing the ABI needs.
      await page.locator('input[type=file]').setInputFiles({ name: 'empty.wasm', mimeType: 'application/wasm', buffer: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) });
      await page.getByRole('button', { name: 'Upload and validate' }).click();
      await page.getByRole('alert').filter({ hasText: 'The module was refused' }).waitFor();
      await page.screenshot({ path: path.join(shots, '11-wasm-module-refused.png'), animations: 'disabled' });
      await page.getByRole('link', { name: 'Transforms', exact: true }).click();
      await page.getByRole('table', { name: 'Transforms' }).getByText('Rate card').waitFor();
      await page.screenshot({ path: path.join(shots, '12-transforms.png'), animations: 'disabled' });
    });

    let apiKey = '';
    await step('issue an API key to a consumer (shown once)', async () => {
      await page.getByRole('link', { name: 'Consumers', exact: true }).click();
      await page.getByRole('button', { name: 'New consumer' }).click();
      const dlg = page.getByRole('dialog', { name: 'New consumer' });
      await dlg.getByLabel('Name').fill('Acme mobile');
      await dlg.getByLabel('Slug').fill('acme');
      await dlg.getByRole('button', { name: 'Create consumer' }).click();
      await page.getByRole('link', { name: 'Acme mobile' }).click();
      await page.getByRole('button', { name: 'Issue API key' }).click();
      const form = page.getByRole('dialog', { name: 'Issue API key' });
      await form.getByLabel('Name').fill('e2e');
      await form.getByRole('button', { name: 'Issue key' }).click();
      const shown = page.getByRole('dialog', { name: 'API key issued' });
      await shown.getByText("you won't see it again").waitFor();
      apiKey = (await shown.getByTestId('secret-value').innerText()).trim();
      if (!/^ptk_/.test(apiKey)) throw new Error(`unexpected key ${apiKey}`);
      await page.screenshot({ path: path.join(shots, '09-key-shown-once.png'), animations: 'disabled' });
      await shown.getByRole('button', { name: 'I have copied it' }).click();
      await shown.waitFor({ state: 'detached' });
      const row = page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: /e2e/ });
      await row.getByText(apiKey.slice(0, 12)).waitFor();
      await row.getByText('active').waitFor();
      if ((await page.getByText(apiKey).count()) !== 0) throw new Error('the secret is still on the page');
    });

    await step('JWT issuer: the server refuses a field, it is shown there, fixed', async () => {
      await page.getByRole('link', { name: 'JWT issuers' }).click();
      await page.getByRole('button', { name: 'New issuer' }).click();
      const dlg = page.getByRole('dialog', { name: 'New JWT issuer' });
      await dlg.getByLabel('Slug').fill('corp-idp');
      await dlg.getByRole('textbox', { name: /^Issuer/ }).fill('https://login.corp.example/');
      await dlg.getByLabel('JWKS URL').fill('http://login.corp.example/jwks.json');
      await dlg.getByRole('textbox', { name: 'Audiences' }).or(dlg.getByRole('combobox', { name: 'Audiences' })).first().fill('shop-api');
      await page.keyboard.press('Enter');
      await dlg.getByRole('button', { name: 'Create issuer' }).click();
      await dlg.getByText('must be an absolute https URL').waitFor();
      await page.screenshot({ path: path.join(shots, '10-jwt-issuer-error.png'), animations: 'disabled' });
      await dlg.getByLabel('JWKS URL').fill('https://login.corp.example/jwks.json');
      await dlg.getByText('must be an absolute https URL').waitFor({ state: 'detached' });
      await dlg.getByRole('button', { name: 'Create issuer' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByRole('table', { name: 'JWT issuers' }).getByText('https://login.corp.example/').waitFor();
      // Edit it: the stored revision goes back with the change.
      await page.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit JWT issuer' });
      await edit.getByLabel('Clock leeway (s)').fill('60');
      await edit.getByRole('button', { name: 'Save issuer' }).click();
      await edit.waitFor({ state: 'detached' });
    });

    await step('require an API key on the endpoint', async () => {
      await page.getByRole('link', { name: 'APIs' }).click();
      await page.getByRole('link', { name: 'Shop' }).click();
      await page.getByRole('button', { name: 'Edit GET /products/{id}' }).click();
      const dlg = page.getByRole('dialog', { name: 'Edit endpoint' });
      await dlg.getByRole('textbox', { name: 'Authentication' }).or(dlg.getByRole('combobox', { name: 'Authentication' })).first().click();
      await page.getByRole('option', { name: 'API key' }).click();
      await dlg.getByRole('textbox', { name: 'Response transforms' }).or(dlg.getByRole('combobox', { name: 'Response transforms' })).first().click();
      await page.getByRole('option', { name: /order-view/ }).click();
      await dlg.getByRole('textbox', { name: 'Summary' }).click(); // closes the picker
      await dlg.getByText('No problems found.').waitFor();
      await page.screenshot({ path: path.join(shots, '13-endpoint-auth-transforms.png'), animations: 'disabled' });
      await dlg.getByRole('button', { name: 'Save endpoint' }).click();
      await dlg.waitFor({ state: 'detached' });
    });

    await step('publish v1 after confirming', async () => {
      await page.getByRole('button', { name: 'Publish' }).click();
      const dlg = page.getByRole('dialog', { name: 'Publish v1?' });
      await dlg.getByText('1 endpoint will be served').waitFor();
      await page.screenshot({ path: path.join(shots, '04-publish-confirm.png'), animations: 'disabled' });
      await dlg.getByRole('button', { name: 'Publish' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Deprecate' }).waitFor();
      await page.screenshot({ path: path.join(shots, '05-api-builder.png'), animations: 'disabled' });
    });

    await step('call the endpoint through the gateway: 401 without the key, 200 with it', async () => {
      const url = `${base}/t/demo/v1/shop/products/7`;
      const end = Date.now() + 10_000;
      let last = '';
      // Wait for the published configuration to be served (not 404/503).
      for (;;) {
        const r = await fetch(url);
        last = `${r.status} ${await r.text()}`;
        if (r.status === 401) break;
        if (Date.now() > end) throw new Error(`gateway never asked for a key at ${url}: ${last}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      log(`without a key: ${last.trim()}`);
      const r = await fetch(url, { headers: { 'X-Api-Key': apiKey } });
      last = `${r.status} ${await r.text()}`;
      if (r.status !== 200) throw new Error(`with the key: ${last}`);
      const body = JSON.parse(last.slice(4));
      // The response transform keeps only the id, as a string.
      if (body.orderId !== '7' || Object.keys(body).length !== 1) throw new Error(`unexpected answer ${last}`);
      log(`with the key: ${last.trim()}`);
    });

    await step('purge the cached responses of the version', async () => {
      await page.getByRole('button', { name: 'Purge cache' }).click();
      const dlg = page.getByRole('dialog', { name: 'Purge cached responses of v1' });
      await dlg.getByRole('button', { name: 'Purge the whole version' }).click();
      await dlg.getByRole('status').filter({ hasText: /Purged \d+ cached response/ }).waitFor();
      await dlg.getByRole('button', { name: 'Close' }).click();
      await dlg.waitFor({ state: 'detached' });
    });

    await step('import an OpenAPI document into published v1: its report, then apply', async () => {
      const doc = [
        'openapi: 3.1.0',
        'info: {title: Shop, version: "1"}',
        'paths:',
        '  /shop/products/{productId}:',
        '    parameters: [{name: productId, in: path, required: true, schema: {type: string}}]',
        '    get:',
        '      responses:',
        '        "200": {description: the view, content: {application/json: {schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}}}}',
        '  /shop/orders:',
        '    post:',
        '      responses: {"201": {description: created}}',
      ].join('\n');
      await page.getByRole('button', { name: 'Import OpenAPI' }).click();
      const dlg = page.getByRole('dialog', { name: 'Import OpenAPI into v1' });
      await dlg.getByText('v1 is published').waitFor();
      await dlg.getByRole('textbox', { name: 'OpenAPI document' }).fill(doc);
      await dlg.getByRole('button', { name: 'Preview' }).click();
      await dlg.getByRole('region', { name: 'Preview: nothing changed yet' }).waitFor();
      await dlg.getByRole('table', { name: 'Skipped operations' }).getByText('no endpoint of this version has this method and path').waitFor();
      await dlg.getByRole('button', { name: 'Apply…' }).click();
      await dlg.getByRole('button', { name: 'Apply import' }).click();
      await dlg.getByRole('table', { name: 'Matched operations' }).getByText('Imported', { exact: true }).waitFor();
      await page.screenshot({ path: path.join(shots, '18-openapi-import.png'), animations: 'disabled' });
      const serious = await axeScan(page, 'OpenAPI import report');
      if (serious.length) throw new Error(`serious accessibility violations:\n${JSON.stringify(serious, null, 1)}`);
      await dlg.getByRole('button', { name: 'Close', exact: true }).click();
      await page.getByRole('table', { name: 'Endpoints of v1' }).getByText(/out: order-view, oas-\S+-res/).waitFor();
    });

    await step("the server's answers have the shapes the console reads", async () => {
      // The unit tests mock these answers; this checks the real ones, so the two cannot drift unnoticed.
      const login = await (await fetch(`${base}/admin/v1/auth/dev-login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tenant: 'demo', email: 'owner@demo.local', role: 'owner' }) })).json();
      const call = async (method, p, body) => {
        const r = await fetch(`${base}/admin/v1${p}`, { method, headers: { Authorization: `Bearer ${login.token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
        return { status: r.status, body: await r.json() };
      };
      const has = (what, obj, fields) => {
        for (const f of fields) if (!(f in (obj ?? {}))) throw new Error(`${what}: no "${f}" in ${JSON.stringify(obj)}`);
      };
      const keys = await call('GET', '/consumers/acme/keys');
      has('API key', keys.body.items?.[0], ['id', 'consumer', 'prefix', 'status', 'createdAt']);
      const preview = await call('POST', '/transforms:preview', { transform: { steps: [{ map: { fields: [{ to: '/x', from: 'body.x', required: true }] } }] }, input: { body: {} } });
      has('preview', preview.body, ['tests', 'publishable', 'error']);
      has('preview error', preview.body.error, ['step', 'name', 'rule', 'detail']);
      const refused = await call('POST', '/transforms:preview', { transform: { steps: [{ map: { fields: [{ to: '/x', from: 'body[' }] } }] }, input: {} });
      if (refused.status !== 400 || !refused.body.errors?.[0]?.pointer?.startsWith('/transform/')) throw new Error(`preview 400: ${JSON.stringify(refused)}`);
      const t = await call('GET', '/transforms/order-view');
      has('transform', t.body, ['slug', 'name', 'type', 'document', 'tests', 'revision']);
      has('transform tests', t.body.tests, ['passed', 'results']);
      const iss = await call('GET', '/jwt-issuers');
      has('JWT issuer', iss.body.items?.[0], ['slug', 'issuer', 'jwksUrl', 'audiences', 'revision']);
      const health = await call('GET', '/integrations/demo-upstream/health');
      has('integration health', health.body, ['breaker', 'observed', 'scope']);
      const client = await call('POST', '/consumers/acme/clients', { name: 'shape check' });
      has('OAuth2 client', client.body, ['id', 'consumer', 'status', 'clientSecret']);
    });

    await step('integrations screen, with the breaker as the gateway sees it', async () => {
      await page.getByRole('link', { name: 'Integrations' }).click();
      const table = page.getByRole('table', { name: 'Integrations' });
      await table.getByText('demo-upstream').waitFor();
      // The gateway has called it: the engine reports what it observed.
      await table.getByLabel(/^Breaker (closed|no breaker|half-open|open):/).first().waitFor();
      await page.screenshot({ path: path.join(shots, '06-integrations.png'), animations: 'disabled' });
    });

    await step('test connection to the demo upstream: status, latency, breaker, preview', async () => {
      const row = page.getByRole('table', { name: 'Integrations' }).getByRole('row').filter({ hasText: 'demo-upstream' });
      await row.getByRole('button', { name: /^Test connection to / }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Send test request' }).click();
      const result = dialog.getByTestId('probe-result');
      await result.getByText(/^GET \d{3}$/).waitFor();
      await result.getByText(/^\d+ ms$/).waitFor();
      await result.getByText(/^breaker /).waitFor();
      await page.screenshot({ path: path.join(shots, '06b-integration-test.png'), animations: 'disabled' });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    });

    let executionUrl = '';
    await step('workflow builder: a 2-step workflow calling the demo upstream, created and published', async () => {
      await page.getByRole('link', { name: 'Workflows', exact: true }).click();
      await page.getByRole('heading', { name: 'Workflows', level: 2 }).waitFor();
      await page.getByRole('button', { name: 'New workflow' }).click();
      await page.waitForURL('**/console/workflows/new');
      const settings = page.getByRole('group', { name: 'Workflow settings' });
      await settings.getByRole('textbox', { name: 'Name', exact: true }).fill('Order lookup');
      await settings.getByRole('textbox', { name: /^Slug/ }).fill('order-lookup');
      const pick = async (scope, label, option) => {
        await scope.getByRole('textbox', { name: label }).or(scope.getByRole('combobox', { name: label })).first().click();
        await page.getByRole('option', { name: option, exact: true }).click();
      };
      // Step 1: GET /items/7 (the new call step picks the first integration: the demo upstream).
      await page.getByRole('button', { name: 'Add step' }).click();
      await page.getByRole('menuitem', { name: 'Call integration' }).click();
      let form = page.getByRole('group', { name: 'Step call1' });
      await form.getByRole('textbox', { name: /^Integration/ }).or(form.getByRole('combobox', { name: /^Integration/ })).first().waitFor();
      if (!/demo-upstream/.test(await form.getByRole('textbox', { name: /^Integration/ }).or(form.getByRole('combobox', { name: /^Integration/ })).first().inputValue()))
        await pick(form, /^Integration/, /demo-upstream/);
      await form.getByRole('textbox', { name: 'Path', exact: true }).fill('/items/7');
      // Step 2 (after the selected one): POST /orders with the item as the body.
      await page.getByRole('button', { name: 'Add step' }).click();
      await page.getByRole('menuitem', { name: 'Call integration' }).click();
      form = page.getByRole('group', { name: 'Step call2' });
      await pick(form, 'Method', 'POST');
      await form.getByRole('textbox', { name: 'Path', exact: true }).fill('orders');
      await form.getByRole('textbox', { name: /^Request body/ }).fill('$.steps.call1');
      await page.getByTestId('wf-node-call2').waitFor();
      await page.getByTestId('check-status').filter({ hasText: /no live check|problem/ }).waitFor();
      // The server refuses the path: its pointer lands on the node and the field.
      await page.getByRole('button', { name: 'Create workflow' }).click();
      await page.locator('[data-testid="wf-node-call2"][data-invalid="true"]').waitFor();
      await form.getByText("must start with '/'", { exact: false }).waitFor();
      await page.screenshot({ path: path.join(shots, '14-workflow-builder-error.png'), animations: 'disabled' });
      await form.getByRole('textbox', { name: 'Path', exact: true }).fill('/orders');
      await page.getByRole('button', { name: 'Create workflow' }).click();
      await page.waitForURL('**/console/workflows/order-lookup');
      await page.getByTestId('wf-node-call2').waitFor();
      // The live check of the saved workflow settles before anything is judged.
      await page.getByTestId('check-status').filter({ hasText: 'No problems found.' }).waitFor();
      if ((await page.locator('[data-invalid="true"]').count()) !== 0) throw new Error('a problem is still shown after the save');
      await page.screenshot({ path: path.join(shots, '14-workflow-builder.png'), animations: 'disabled' });
      await page.getByRole('button', { name: 'Publish' }).click();
      const dlg = page.getByRole('dialog', { name: 'Publish Order lookup?' });
      await dlg.getByRole('button', { name: 'Publish' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByText('published', { exact: true }).waitFor();
      await page.getByRole('tab', { name: 'Compiled ASL' }).click();
      await page.getByRole('textbox', { name: 'Amazon States Language' }).getByText('"Portico.Start"').first().waitFor();
      await page.screenshot({ path: path.join(shots, '15-workflow-asl.png'), animations: 'disabled' });
    });

    await step('workflow test run: the execution and its history', async () => {
      await page.getByRole('tab', { name: 'Test run and executions' }).click();
      await page.getByRole('button', { name: 'Run test execution' }).click();
      const result = page.getByTestId('test-run-result');
      await result.getByText('A caller would get HTTP 200').waitFor();
      await result.getByText('succeeded').waitFor();
      await result.getByRole('link', { name: 'Open the execution' }).click();
      await page.waitForURL('**/console/workflows/order-lookup/executions/*');
      executionUrl = new URL(page.url()).pathname;
      const history = page.getByLabel('Execution history');
      await history.getByText('call1 exited').waitFor();
      await history.getByText('call2 exited').waitFor();
      await history.getByText('Execution succeeded').waitFor();
      await page.locator('[data-testid="wf-node-call2"][data-run="ran"]').waitFor();
      await page.screenshot({ path: path.join(shots, '16-workflow-execution.png'), animations: 'disabled' });
    });

    await step('workflow redrive: a failed standard execution is redriven from its step', async () => {
      const login = await (await fetch(`${base}/admin/v1/auth/dev-login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tenant: 'demo', email: 'owner@demo.local', role: 'owner' }) })).json();
      const call = async (method, p, body) => {
        const r = await fetch(`${base}/admin/v1${p}`, { method, headers: { Authorization: `Bearer ${login.token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
        if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
      };
      // The demo upstream answers 503 here: the step fails, and a redrive fails again the same way.
      await call('POST', '/workflows', { slug: 'flaky', name: 'Flaky', kind: 'standard', steps: [{ name: 'fetch', type: 'call', call: { integration: 'demo-upstream', method: 'GET', path: '/status/503' } }] });
      await call('POST', '/workflows/flaky/publish');
      await page.goto(`${base}/console/workflows/flaky?tab=runs`);
      await page.getByRole('button', { name: 'Run test execution' }).click();
      const result = page.getByTestId('test-run-result');
      await result.getByText('A caller would get HTTP 202').waitFor();
      await result.getByRole('link', { name: 'Open the execution' }).click();
      // Read again every 2 s while running; ended, it says it can be redriven.
      await page.getByText(/^Failed with Portico\.Upstream/).waitFor();
      await page.getByRole('button', { name: 'Redrive' }).click();
      const dlg = page.getByRole('dialog', { name: 'Redrive this execution?' });
      await dlg.getByText('It resumes at fetch').waitFor();
      await dlg.getByRole('button', { name: 'Redrive' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'Redrive started at fetch' }).waitFor();
      await page.getByLabel('Execution history').getByText('Execution redriven').waitFor();
      await page.getByText(/redriven 1×/).waitFor();
      await page.screenshot({ path: path.join(shots, '17-workflow-redrive.png'), animations: 'disabled' });
    });

    let webhooksUrl = '';
    await step('webhooks: subscribe, the secret shown once, a change delivered signed, redelivered', async () => {
      webhooksUrl = await webhooksFlow({ page, base, shots, receiver });
    });

    await step('the change is in the audit log, with its diff', async () => {
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByLabel('Resource', { exact: true }).fill('api/shop');
      const table = page.getByRole('table', { name: 'Audit entries' });
      await table.getByText('api/shop', { exact: true }).first().waitFor();
      await table.getByRole('button', { name: 'Show changes of create api/shop', exact: true }).click();
      await page.getByLabel('Changes').getByText('/basePath').waitFor();
      await page.screenshot({ path: path.join(shots, '07-audit.png'), animations: 'disabled' });
    });

    await step('accessibility scan (axe) of the main screens: no serious violations', async () => {
      const serious = [];
      for (const [name, url, ready] of [
        ['APIs', '/console/apis', (p) => p.getByRole('link', { name: 'Shop' })],
        ['API builder', '/console/apis/shop', (p) => p.getByRole('table', { name: 'Endpoints of v1' })],
        ['transform editor', '/console/transforms/order-view', (p) => p.getByText('Preview up to date.')],
        ['consumer keys', '/console/consumers/acme', (p) => p.getByRole('table', { name: 'API keys' })],
        ['JWT issuers', '/console/jwt-issuers', (p) => p.getByRole('table', { name: 'JWT issuers' })],
        ['integrations', '/console/integrations', (p) => p.getByRole('table', { name: 'Integrations' })],
        ['audit', '/console/audit', (p) => p.getByRole('table', { name: 'Audit entries' })],
        ['workflows', '/console/workflows', (p) => p.getByRole('table', { name: 'Workflows' })],
        ['workflow builder', '/console/workflows/order-lookup', (p) => p.getByTestId('wf-node-call2')],
        ['workflow execution', executionUrl, (p) => p.getByLabel('Execution history')],
        ['webhooks', webhooksUrl, (p) => p.getByRole('table', { name: /^Deliveries to / })],
      ]) {
        await page.goto(base + url);
        await ready(page).waitFor();
        serious.push(...(await axeScan(page, name)));
      }
      log('axe (all impacts):', JSON.stringify(a11y));
      if (serious.length) throw new Error(`serious accessibility violations:\n${JSON.stringify(serious, null, 1)}`);
    });

    await step('a viewer is not offered changes', async () => {
      await Promise.all([page.waitForURL('**/console/signin'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await page.getByRole('heading', { name: 'Sign in to Portico' }).waitFor();
      await page.getByLabel('Tenant').fill('demo');
      await page.getByLabel('Email').fill('viewer@demo.local');
      await page.getByRole('textbox', { name: 'Role' }).or(page.getByRole('combobox', { name: 'Role' })).first().click();
      await page.getByRole('option', { name: 'Viewer' }).click();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Shop' }).waitFor();
      if ((await page.getByRole('button', { name: 'New API' }).count()) !== 0) throw new Error('viewer sees New API');
      if ((await page.getByRole('link', { name: 'Audit log' }).count()) !== 0) throw new Error('viewer sees the audit log');
      await page.goto(`${base}/console/workflows/order-lookup`);
      await page.getByTestId('wf-node-call1').waitFor();
      for (const name of ['Add step', 'Create workflow', 'Save workflow', 'Publish'])
        if ((await page.getByRole('button', { name, exact: true }).count()) !== 0) throw new Error(`viewer is offered ${name} on a workflow`);
    });

    await step('a viewer reads the webhooks and their log, without changes', async () => {
      await page.goto(base + webhooksUrl);
      await page.getByRole('table', { name: /^Deliveries to / }).getByText('delivered', { exact: true }).first().waitFor();
      for (const name of [/^New subscription$/, /^Manage /, /^Send test/, /^Redeliver /])
        if ((await page.getByRole('button', { name }).count()) !== 0) throw new Error(`viewer is offered ${name} on webhooks`);
    });

    await step('no console errors', async () => {
      const real = consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 40[0-9]/.test(e));
      if (real.length) throw new Error(real.join('\n'));
    });
  } finally {
    if (context) await context.close().catch(() => {});
    if (receiver) await receiver.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (server.kill('SIGKILL'), r()), 5000);
        server.on('exit', () => (clearTimeout(t), r()));
      });
    }
    rmSync(tmp, { recursive: true, force: true });
    log('timings (ms):', JSON.stringify(timings));
    console.log(`${passed} passed, ${failed} failed`);
  }
}

main().then(
  () => process.exit(failed ? 1 : 0),
  (e) => {
    if (!failed) console.error(e);
    process.exit(1);
  },
);
