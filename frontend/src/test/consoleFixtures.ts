import webhooks from './fixtures/webhooks.json';
import modules from './fixtures/modules.json';
import type { CreatedWebhook, Endpoint, ModuleSweep, Page, Problem, StoredModule, TenantSecret, Transform, Validation, WebhookDelivery, WebhookSubscription, WebhookTestResult } from '../api/types';

/**
 * The server's real answers for the webhook, secret and wasm module screens,
 * written by TestConsoleWebhookFixtures and TestConsoleModuleFixtures
 * (internal/management/console_fixtures_test.go) from the real handler: the
 * unit tests mock with these, so the mocks have the server's shapes.
 */
export interface Answer<T> {
  status: number;
  body: T;
}

interface WebhookFixtures {
  webhookInvalid: Answer<Problem>;
  webhookForbidden: Answer<Problem>;
  webhookCreated: Answer<CreatedWebhook>;
  webhooks: Answer<Page<WebhookSubscription>>;
  deliveries: Answer<Page<WebhookDelivery>>;
  redelivered: Answer<WebhookDelivery>;
  redeliverBusy: Answer<Problem>;
  secretCreated: Answer<TenantSecret>;
  secrets: Answer<Page<TenantSecret>>;
  webhookAuthInvalid: Answer<Problem>;
  webhookAuthMissingSecret: Answer<Problem>;
  webhookAuthDryRun: Answer<Validation>;
  webhookAuthCreated: Answer<Endpoint>;
  webhookDeleted: Answer<null>;
  webhookPatched: Answer<WebhookSubscription>;
  webhookPatchStale: Answer<Problem>;
  webhookPatchInvalid: Answer<Problem>;
  webhookRotated: Answer<CreatedWebhook>;
  webhookRotateInvalid: Answer<Problem>;
  webhookRotateForbidden: Answer<Problem>;
  webhookTested: Answer<WebhookTestResult>;
  webhookTestRefused: Answer<WebhookTestResult>;
  webhookTestNoAnswer: Answer<WebhookTestResult>;
  webhookTestForbidden: Answer<Problem>;
}

interface ModuleFixtures {
  testCasesInvalid: Answer<Problem>;
  wasmCreated: Answer<Transform>;
  moduleRefused: Answer<Problem>;
  moduleUploaded: Answer<Transform>;
  wasmSaved: Answer<Transform>;
  otherCreated: Answer<Transform>;
  modules: Answer<Page<StoredModule>>;
  sweepDryRun: Answer<ModuleSweep>;
  sweepInvalid: Answer<Problem>;
  sweepForbidden: Answer<Problem>;
}

/** wh returns a fresh copy of the webhook fixtures (tests may change them). */
export function wh(): WebhookFixtures {
  return structuredClone(webhooks) as unknown as WebhookFixtures;
}

/** mods returns a fresh copy of the wasm module fixtures. */
export function mods(): ModuleFixtures {
  return structuredClone(modules) as unknown as ModuleFixtures;
}
