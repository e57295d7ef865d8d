// The webhooks part of the console's end-to-end run (run.mjs): a receiver
// the local server delivers to, and the flow through the Webhooks screen.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';

/**
 * startReceiver listens on 127.0.0.1 (the e2e allows its port through the
 * SSRF guard) and keeps every request. It answers 503 to the first one, so
 * the delivery log shows a failed attempt, and 204 after.
 */
export async function startReceiver() {
  const hits = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const hit = { path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: hits.length === 0 ? 503 : 204 };
      hits.push(hit);
      res.writeHead(hit.status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    hits,
    /** waitFor resolves with the n-th request (1-based), or fails after ms. */
    async waitFor(n, ms) {
      const end = Date.now() + ms;
      while (hits.length < n) {
        if (Date.now() > end) throw new Error(`the receiver got ${hits.length} request(s), want ${n}`);
        await new Promise((r) => (waiters.push(r), setTimeout(r, 200)));
      }
      return hits[n - 1];
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** verify checks a Standard Webhooks signature with the whsec_ secret the console showed. */
export function verify(hit, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = hit.headers['webhook-id'];
  const ts = hit.headers['webhook-timestamp'];
  const want = createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest();
  const ok = String(hit.headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => {
      const [v, sig] = s.split(',');
      const got = Buffer.from(sig ?? '', 'base64');
      return v === 'v1' && got.length === want.length && timingSafeEqual(got, want);
    });
  if (!ok) throw new Error(`bad signature on ${id}: ${hit.headers['webhook-signature']}`);
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) throw new Error(`webhook-timestamp ${ts} is not now`);
  return id;
}

/**
 * webhooksFlow: an owner subscribes the receiver to config.changed, reads
 * the signing secret once, changes the configuration through the API, and
 * finds the delivery (a 503 first) in the log, redelivers it (204), and
 * sends a test event.
 * It returns the screen's URL with the log open, for the axe scan.
 */
export async function webhooksFlow({ page, base, shots, receiver }) {
  await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 2 }).waitFor();
  await page.getByRole('button', { name: 'New subscription' }).click();
  const form = page.getByRole('dialog', { name: 'New webhook subscription' });
  const url = `http://127.0.0.1:${receiver.port}/portico`;
  await form.getByRole('textbox', { name: /^URL/ }).fill(url);
  await form.getByRole('button', { name: 'Create subscription' }).click();
  const shown = page.getByRole('dialog', { name: 'Signing secret issued' });
  await shown.getByText("you won't see it again").waitFor();
  const secret = (await shown.getByTestId('secret-value').innerText()).trim();
  if (!/^whsec_[A-Za-z0-9+/]+=*$/.test(secret)) throw new Error(`unexpected secret ${secret}`);
  await page.screenshot({ path: path.join(shots, '20-webhook-secret-once.png'), animations: 'disabled' });
  await shown.getByRole('button', { name: 'I have copied it' }).click();
  await shown.waitFor({ state: 'detached' });
  if ((await page.getByText(secret).count()) !== 0) throw new Error('the signing secret is still on the page');
  const row = page.getByRole('table', { name: 'Webhook subscriptions' }).getByRole('row').filter({ hasText: url });
  await row.getByText('active').waitFor();
  await page.waitForURL(/\?subscription=wh_/);
  const screen = new URL(page.url()).pathname + new URL(page.url()).search;

  // A configuration change, made elsewhere (the API), is delivered signed.
  const login = await (
    await fetch(`${base}/admin/v1/auth/dev-login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tenant: 'demo', email: 'owner@demo.local', role: 'owner' }) })
  ).json();
  const r = await fetch(`${base}/admin/v1/consumers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${login.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ slug: 'webhook-probe', name: 'Webhook probe' }),
  });
  if (r.status !== 201) throw new Error(`create consumer: ${r.status} ${await r.text()}`);
  const first = await receiver.waitFor(1, 10_000);
  const id = verify(first, secret);
  const event = JSON.parse(first.body);
  if (event.type !== 'config.changed' || event.data?.resource !== 'consumer/webhook-probe') throw new Error(`unexpected event ${first.body}`);

  // The log shows it with the receiver's 503; an admin sends it again now.
  const log = page.getByRole('table', { name: `Deliveries to ${url}` });
  const delivery = log.getByRole('row').filter({ hasText: id });
  const end = Date.now() + 10_000;
  while ((await delivery.getByText('HTTP 503').count()) === 0) {
    if (Date.now() > end) throw new Error(`the delivery log never showed ${id}`);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(300);
  }
  await delivery.getByRole('button', { name: `Redeliver ${id}` }).click();
  await page.getByRole('status').filter({ hasText: `Redelivered ${id}: delivered (HTTP 204)` }).waitFor();
  await delivery.getByText('delivered', { exact: true }).waitFor();
  await delivery.getByText('HTTP 204').first().waitFor();
  const again = receiver.hits.find((h, i) => i > 0 && h.headers['webhook-id'] === id);
  if (!again) throw new Error('the redelivery did not reach the receiver');
  verify(again, secret); // the same webhook-id, signed afresh
  // A test send: one signed webhook.test attempt, the receiver's answer shown.
  const before = receiver.hits.length;
  await page.getByRole('button', { name: `Send test to ${url}` }).click();
  await page.getByTestId('webhook-test-result').getByText('The receiver answered HTTP 204').waitFor();
  const probe = await receiver.waitFor(before + 1, 5_000);
  verify(probe, secret);
  if (JSON.parse(probe.body).type !== 'webhook.test') throw new Error(`unexpected test event ${probe.body}`);
  await page.screenshot({ path: path.join(shots, '21-webhook-deliveries.png'), animations: 'disabled', fullPage: true });
  return screen;
}
