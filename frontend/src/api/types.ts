// Shapes of the management API's documents (internal/model/model.go).

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface Meta {
  revision: number;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
  updatedBy?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Me {
  subject: string;
  tenant: string;
  role: Role;
  email: string;
  expiresAt: string;
}

export interface Api extends Partial<Meta> {
  slug: string;
  name: string;
  description?: string;
  basePath: string;
  /** Default CORS policy of the API's endpoints; an endpoint's own policies.cors replaces it. */
  cors?: CorsPolicy;
}

export interface CorsPolicy {
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAgeSeconds?: number;
}

export type VersionStatus = 'draft' | 'published' | 'deprecated' | 'retired';

export interface Version extends Partial<Meta> {
  api?: string;
  name: string;
  status?: VersionStatus;
  description?: string;
  sunsetAt?: string;
  publishedAt?: string;
  deprecatedAt?: string;
}

export type AuthType = 'none' | 'apiKey' | 'jwt' | 'oauth2' | 'webhook';
export type RateLimitAlgorithm = 'fixedWindow' | 'slidingWindow' | 'tokenBucket';
export type RateLimitScope = 'consumer' | 'endpoint' | 'tenant';

export interface Policies {
  /** secrets and toleranceSeconds: type webhook only (model.AuthPolicy; docs/integrations.md, inbound webhook endpoints). */
  auth?: { type: AuthType; scopes?: string[]; roles?: string[]; secrets?: string[]; toleranceSeconds?: number };
  rateLimit?: {
    algorithm: RateLimitAlgorithm;
    scope: RateLimitScope;
    limit: number;
    windowSeconds: number;
    burst?: number;
    failOpen?: boolean;
  };
  /** staleIfErrorSeconds: serve an expired entry this long when the upstream fails (unset: the upstream's Cache-Control; 0: never). */
  cache?: { ttlSeconds: number; methods?: string[]; keyHeaders?: string[]; perPrincipal?: boolean; tags?: string[]; staleIfErrorSeconds?: number };
  cors?: CorsPolicy;
  /** Honour Idempotency-Key: keep the first response for ttlSeconds and replay it (docs/gateway-headers.md). */
  idempotency?: { ttlSeconds: number; required?: boolean };
  /** each: the transform applies to every record of an array body (bulk endpoints). */
  requestTransforms?: { transform: string; each?: boolean }[];
  responseTransforms?: { transform: string; each?: boolean }[];
}

export interface Endpoint extends Partial<Meta> {
  id?: string;
  api?: string;
  version?: string;
  method: string;
  path: string;
  summary?: string;
  description?: string;
  target: { type: 'integration' | 'workflow'; integration?: string; workflow?: string; path?: string };
  policies?: Policies;
}

export type IntegrationType = 'http' | 'graphql';

export interface Integration extends Partial<Meta> {
  slug: string;
  name: string;
  type: IntegrationType;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  retry?: { maxAttempts: number; baseDelayMs?: number; maxDelayMs?: number; retryOn?: number[] };
  circuitBreaker?: { failureRatio: number; minRequests: number; openSeconds: number };
  graphql?: { query: string; operationName?: string };
  /** How the gateway authenticates upstream, with a tenant secret named here (never its value). */
  auth?: IntegrationAuth;
}

export type IntegrationAuthType = 'bearer' | 'basic' | 'header';

export interface IntegrationAuth {
  type: IntegrationAuthType;
  /** A tenant secret's name (PUT /secrets/{name}). */
  secret: string;
  /** The header the secret goes in (type header). */
  header?: string;
  /** The user of type basic; the secret is the password. */
  username?: string;
}

/** TenantSecret is what the API shows of a secret: its name and bookkeeping, never the value. */
export interface TenantSecret extends Meta {
  name: string;
}

export interface Consumer extends Partial<Meta> {
  slug: string;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
}

export interface Member extends Partial<Meta> {
  email: string;
  role: Role;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  actorRole?: string;
  action: string;
  resourceType: string;
  resource: string;
  requestId?: string;
  before?: unknown;
  after?: unknown;
}

/** One invalid field of an RFC 9457 problem, addressed by a JSON pointer. */
export interface FieldError {
  pointer: string;
  detail: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errorId?: string;
  errors?: FieldError[];
}

export interface Validation {
  valid: boolean;
  errors: FieldError[];
}

export type CredentialStatus = 'active' | 'revoked';

/** An API key of a consumer (model.APIKey); the secret is only in the creation answer. */
export interface ApiKey extends Partial<Meta> {
  id: string;
  consumer: string;
  name?: string;
  prefix: string;
  scopes?: string[];
  plan?: string;
  expiresAt?: string;
  status: CredentialStatus;
  revokedAt?: string;
}

export interface IssuedKey extends ApiKey {
  secret: string;
}

/** An OAuth2 client-credentials client of a consumer (model.OAuthClient). */
export interface OAuthClient extends Partial<Meta> {
  id: string;
  consumer: string;
  name?: string;
  scopes?: string[];
  status: CredentialStatus;
  revokedAt?: string;
}

export interface IssuedClient extends OAuthClient {
  clientSecret: string;
}

/** A trusted JWT issuer (model.JWTIssuer). */
export interface JwtIssuer extends Partial<Meta> {
  slug: string;
  name?: string;
  issuer: string;
  jwksUrl: string;
  audiences: string[];
  algorithms?: string[];
  leewaySeconds?: number;
  scopeClaim?: string;
  rolesClaim?: string;
  consumerClaim?: string;
}

/** model.JWTAlgorithms: asymmetric only. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export type TransformType = 'declarative' | 'wasm';

export interface TransformTestResult {
  name: string;
  pass: boolean;
  detail?: string;
  output?: unknown;
}

/** A tenant's transform (model.Transform). */
export interface Transform extends Partial<Meta> {
  slug: string;
  name: string;
  description?: string;
  type: TransformType;
  document?: unknown;
  module?: { sha256: string; size: number; uploadedAt: string };
  config?: unknown;
  freshInstance?: boolean;
  /** A wasm transform's test cases (model.TransformTestCase), run in the sandbox on save and module upload. */
  testCases?: WasmTestCase[];
  tests?: { passed: boolean; results: TransformTestResult[] | null };
}

/** One test case of a wasm transform: exactly one of expect, expectText, expectError. */
export interface WasmTestCase {
  name: string;
  input?: unknown;
  inputText?: string;
  config?: unknown;
  expect?: unknown;
  expectText?: string;
  expectError?: string;
}

/** catalog.StoredModule: a content-addressed wasm module of the tenant. */
export interface StoredModule {
  sha256: string;
  size: number;
  chunks: number;
  createdAt?: string;
  /** The transforms whose module it is; none: unused, a sweep may delete it. */
  usedBy?: string[];
}

/** POST /transform-modules:sweep's answer (catalog.ModuleSweep). */
export interface ModuleSweep {
  deleted: StoredModule[] | null;
  kept: StoredModule[] | null;
}

/** The message a transform reads and changes (transform.Message). */
export interface TransformMessage {
  body?: unknown;
  query?: Record<string, string[]>;
  headers?: Record<string, string[]>;
  params?: Record<string, string>;
  claims?: Record<string, unknown>;
  status?: number;
}

/** POST /transforms:preview's answer. */
export interface PreviewResult {
  output?: TransformMessage;
  error?: { step: number; name: string; rule: string; path?: string; detail: string; errors?: FieldError[] };
  tests: TransformTestResult[] | null;
  publishable: boolean;
}

/** A stored workflow (catalog.Workflow: workflow.Workflow + deployment + meta; docs/workflows.md). */
export interface Workflow extends Partial<Meta> {
  slug: string;
  name?: string;
  description?: string;
  kind?: WorkflowKind;
  startAt?: string;
  steps?: WorkflowStep[];
  compensations?: WorkflowStep[];
  output?: string;
  failureStatus?: number;
  errorStatus?: Record<string, number>;
  timeoutSeconds?: number;
  deployed?: { ref: string; kind?: WorkflowKind; publishedAt: string; publishedBy?: string; revision: number; definition?: unknown };
}

export type WorkflowKind = 'express' | 'standard';
export type StepType = 'call' | 'transform' | 'wait' | 'set' | 'fail' | 'succeed' | 'parallel' | 'choice';

/** workflow.Condition: exactly one of and/or/not, or a comparison. */
export interface Condition {
  and?: Condition[];
  or?: Condition[];
  not?: Condition;
  variable?: string;
  op?: string;
  value?: unknown;
}

/** workflow.Retry (Step Functions Retrier). */
export interface RetryPolicy {
  errors?: string[];
  intervalSeconds?: number;
  maxAttempts?: number;
  backoffRate?: number;
  maxDelaySeconds?: number;
  jitter?: 'NONE' | 'FULL';
}

/** workflow.Step: exactly the block matching type is set. */
export interface WorkflowStep {
  name: string;
  type: StepType;
  next?: string;
  call?: { integration: string; method?: string; path?: string; headers?: Record<string, string>; body?: string };
  transform?: { transform: string; input?: string };
  wait?: { seconds?: number; secondsPath?: string };
  set?: { value: unknown };
  fail?: { error: string; cause?: string };
  parallel?: { branches: { name: string; startAt?: string; steps: WorkflowStep[] }[] };
  choice?: { rules: { condition: Condition; next: string }[]; default?: string };
  retry?: RetryPolicy[];
  timeoutSeconds?: number;
  compensate?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** workflow.Error: a step's or an execution's error, named for Retry/Catch. */
export interface ExecutionError {
  Error: string;
  Cause?: string;
}

/** workflow.Event: one entry of an execution's history. */
export interface ExecutionEvent {
  time: string;
  type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'TaskRetried' | 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionRedriven' | (string & {});
  state?: string;
  input?: unknown;
  output?: unknown;
  error?: ExecutionError;
}

/** workflow.Record: a recorded execution (the list leaves history out). */
export interface Execution {
  id: string;
  tenant: string;
  workflow: string;
  executionId?: string;
  kind: WorkflowKind;
  source: 'gateway' | 'test' | (string & {});
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  /** The error name; the cause is only in the history. */
  error?: string;
  idempotencyKey?: string;
  history?: ExecutionEvent[];
  historyTruncated?: boolean;
  /** How many times it was redriven, and when the latest started. */
  redriveCount?: number;
  redrivenAt?: string;
  /** Of an ended standard execution: whether POST .../redrive would be tried (the engine may still refuse). */
  redrive?: { possible: boolean; state?: string; reason?: string; detail?: string };
}

/** POST /workflows/{workflow}/executions: a test run's answer. */
export interface TestRun {
  status: ExecutionStatus;
  output?: unknown;
  error?: ExecutionError;
  executionId?: string;
  /** The id of the run's execution record (GET .../executions/{record}). */
  record?: string;
  /** What a gateway caller would get. */
  httpStatus: number;
}

/** POST /integrations/{integration}/test: one call through the engine (no retries, short timeout). */
export interface IntegrationProbe {
  integration: string;
  method: string;
  ok: boolean;
  /** The upstream's status; absent when it could not be reached (see error). */
  status?: number;
  latencyMs: number;
  headers?: Record<string, string>;
  /** The start of the response body (4 KiB at most), as text. */
  preview?: string;
  truncated?: boolean;
  breaker: IntegrationHealth['breaker'];
  error?: { type: string; title: string; detail?: string };
}

/** GET /integrations/{integration}/health: this instance's view of the breaker and retry budget. */
export interface IntegrationHealth {
  integration: string;
  scope: string;
  breaker: 'none' | 'closed' | 'half-open' | 'open';
  requests: number;
  failures: number;
  retryBudget: number;
  observed: boolean;
}

/** An outbound webhook subscription (model.WebhookSubscription); its signing secret is only in the creation answer. */
export interface WebhookSubscription extends Partial<Meta> {
  id: string;
  url: string;
  events: string[];
  description?: string;
  disabled?: boolean;
  /** After a secret rotation: until then the previous secret signs too. */
  previousSecretExpiresAt?: string;
}

export interface CreatedWebhook extends WebhookSubscription {
  /** "whsec_...": shown once. */
  secret: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'skipped';

/** webhook.Attempt: one try of a delivery; status 0 or absent: no answer (see error). */
export interface DeliveryAttempt {
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

/** webhook.Delivery: one event sent to one subscription; id is the webhook-id, the same on every attempt. */
export interface WebhookDelivery {
  id: string;
  subscription: string;
  eventType: string;
  state: DeliveryState | (string & {});
  createdAt: string;
  attempts: DeliveryAttempt[] | null;
}

/** POST /webhooks/{webhook}/test: the test delivery and the receiver's answer (absent: none, the attempt's error says why). */
export interface WebhookTestResult extends WebhookDelivery {
  response?: { status: number; durationMs: number; body: string; truncated?: boolean };
}
