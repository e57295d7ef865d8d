import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Code,
  Divider,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Pill,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useSecrets } from '../api/hooks';
import type { AuthType, Endpoint, Integration, Policies, RateLimitAlgorithm, RateLimitScope, Transform, Workflow } from '../api/types';
import { ErrorAlert } from '../components/common';
import { FieldErrors } from '../lib/problem';
import { pathParams } from '../lib/pathTemplate';
import { useDryRun } from '../lib/useDryRun';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];

/** The pointers this form shows beside a field; anything else goes to the summary. */
const claimed = ['/method', '/path', '/summary', '/description', '/target', '/policies/auth', '/policies/rateLimit', '/policies/cache', '/policies/cors'];

export interface EndpointFormProps {
  api: string;
  version: string;
  basePath: string;
  tenant: string;
  integrations: Integration[];
  /** The tenant's transforms; the transform pickers show when there are any. */
  transforms?: Transform[];
  /** The tenant's workflows; a workflow target is offered when there are any. */
  workflows?: Workflow[];
  initial?: Endpoint;
  onDone: () => void;
}

function blank(integrations: Integration[]): Endpoint {
  return {
    method: 'GET',
    path: '',
    summary: '',
    target: { type: 'integration', integration: integrations[0]?.slug ?? '', path: '' },
    policies: {},
  };
}

/** toDoc drops empty optional strings so the server sees what a curl user would send. */
function toDoc(ep: Endpoint): Endpoint {
  const t = { ...ep.target };
  if (!t.path) delete t.path;
  if (t.type === 'workflow') {
    delete t.integration;
    delete t.path;
  } else delete t.workflow;
  const out: Endpoint = { ...ep, target: t };
  if (!out.summary) delete out.summary;
  if (!out.description) delete out.description;
  return out;
}

/**
 * EndpointForm edits one endpoint: method, path template (with its
 * parameters as chips), target integration and upstream path, and the
 * policies. Every change is checked by the server's dry-run validate route
 * (debounced) and each error is shown at the field its JSON pointer names.
 */
export function EndpointForm({ api: apiSlug, version, basePath, tenant, integrations, transforms = [], workflows = [], initial, onDone }: EndpointFormProps) {
  const qc = useQueryClient();
  const [ep, setEp] = useState<Endpoint>(() => initial ?? blank(integrations));
  const [touched, setTouched] = useState(!!initial);
  const doc = toDoc(ep);
  const dry = useDryRun('endpoint', doc, touched);
  const save = useMutation({
    mutationFn: (e: Endpoint) =>
      initial?.id
        ? api.put<Endpoint>(`/apis/${seg(apiSlug)}/versions/${seg(version)}/endpoints/${seg(initial.id)}`, e)
        : api.post<Endpoint>(`/apis/${seg(apiSlug)}/versions/${seg(version)}/endpoints`, e),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.endpoints(apiSlug, version) });
      onDone();
    },
  });
  const submitErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = submitErrors.length ? new FieldErrors(submitErrors) : dry.errors;
  const showTransforms = transforms.length > 0 || !!initial?.policies?.requestTransforms?.length || !!initial?.policies?.responseTransforms?.length;
  const showWorkflows = workflows.length > 0 || ep.target.type === 'workflow';
  const claimedHere = showTransforms ? [...claimed, '/policies/requestTransforms', '/policies/responseTransforms'] : claimed;
  const transformOptions = transforms.map((t) => ({
    value: t.slug,
    label: `${t.name} (${t.slug})${t.type === 'wasm' && !t.module ? ' · no module' : t.tests && !t.tests.passed ? ' · tests failing' : ''}`,
  }));
  const workflowOptions = workflows.map((w) => ({ value: w.slug, label: `${w.name || w.slug} (${w.slug})${w.deployed ? '' : ' · not published'}` }));

  const update = (f: (e: Endpoint) => Endpoint) => {
    setTouched(true);
    save.reset();
    setEp(f);
  };
  const setPolicies = (f: (p: Policies) => Policies) => update((e) => ({ ...e, policies: f({ ...(e.policies ?? {}) }) }));
  const pol = ep.policies ?? {};
  const isWebhook = pol.auth?.type === 'webhook';
  // The tenant's secret names, for an inbound webhook's signing secrets (asked for only then).
  const secrets = useSecrets(isWebhook);
  const secretNames = [...new Set([...(secrets.data?.items.map((s) => s.name) ?? []), ...(pol.auth?.secrets ?? [])])];
  const params = pathParams(ep.path);
  const targetParams = pathParams(ep.target.path ?? '');
  const known = new Set(params.map((p) => p.name));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    save.mutate(doc);
  };

  return (
    <form onSubmit={submit} noValidate aria-label={initial ? 'Edit endpoint' : 'New endpoint'}>
      <Stack>
        <Group align="flex-start" grow={false} wrap="nowrap">
          <Select
            label="Method"
            data={METHODS}
            value={ep.method}
            onChange={(v) => v && update((e) => ({ ...e, method: v }))}
            error={fe.at('/method')}
            allowDeselect={false}
            w={130}
            required
          />
          <TextInput
            style={{ flex: 1 }}
            label="Path template"
            description="Parameters in braces: /orders/{id}; {rest+} matches the remaining segments."
            placeholder="/orders/{id}"
            value={ep.path}
            onChange={(e) => {
              const v = e.currentTarget.value;
              update((x) => ({ ...x, path: v }));
            }}
            error={fe.at('/path')}
            classNames={{ input: 'mono' }}
            required
            data-autofocus
          />
        </Group>
        <Group gap={6} aria-live="polite" aria-label="Path parameters">
          <Text size="xs" c="dimmed">
            Parameters:
          </Text>
          {params.length === 0 ? (
            <Text size="xs" c="dimmed">
              none
            </Text>
          ) : (
            params.map((p) => (
              <Pill key={p.name} size="sm" bg="blue.0" c="blue.9">
                {p.name}
                {p.greedy ? ' (rest)' : ''}
              </Pill>
            ))
          )}
        </Group>
        {ep.path && (
          <Text size="xs" c="dimmed">
            Served at <Code>{`/t/${tenant}/${version}${basePath}${ep.path}`}</Code>
          </Text>
        )}
        <TextInput label="Summary" value={ep.summary ?? ''} onChange={(e) => {
          const v = e.currentTarget.value;
          update((x) => ({ ...x, summary: v }));
        }} error={fe.at('/summary')} />

        <Divider label="Target" labelPosition="left" />
        {showWorkflows && (
          <SegmentedControl
            aria-label="Target type"
            w="fit-content"
            value={ep.target.type}
            onChange={(v) =>
              update((e) =>
                v === 'workflow'
                  ? { ...e, target: { type: 'workflow', workflow: e.target.workflow ?? workflows[0]?.slug ?? '' } }
                  : { ...e, target: { type: 'integration', integration: e.target.integration ?? integrations[0]?.slug ?? '', path: e.target.path } },
              )
            }
            data={[
              { value: 'integration', label: 'Integration' },
              { value: 'workflow', label: 'Workflow' },
            ]}
          />
        )}
        {ep.target.type === 'workflow' ? (
          <Select
            label="Workflow"
            description="The published deployment of this workflow answers the request."
            data={workflowOptions}
            value={ep.target.workflow ?? null}
            onChange={(v) => update((e) => ({ ...e, target: { type: 'workflow', workflow: v ?? '' } }))}
            error={fe.at('/target/workflow') ?? fe.at('/target/type') ?? fe.at('/target')}
            searchable
            required
          />
        ) : (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Integration"
            description="The upstream service this endpoint calls."
            data={integrations.map((i) => ({ value: i.slug, label: `${i.name} (${i.slug})` }))}
            value={ep.target.integration ?? null}
            onChange={(v) => update((e) => ({ ...e, target: { ...e.target, type: 'integration', integration: v ?? '' } }))}
            error={fe.at('/target/integration') ?? fe.at('/target/type') ?? fe.at('/target')}
            searchable
            nothingFoundMessage="No integration with that name"
            required
          />
          <TextInput
            label="Upstream path"
            description="Empty forwards the matched path. May use the path's parameters."
            placeholder="/items/{id}"
            value={ep.target.path ?? ''}
            onChange={(e) => {
              const v = e.currentTarget.value;
              update((x) => ({ ...x, target: { ...x.target, path: v } }));
            }}
            error={fe.at('/target/path')}
            classNames={{ input: 'mono' }}
          />
        </SimpleGrid>
        )}
        {ep.target.type !== 'workflow' && targetParams.length > 0 && (
          <Group gap={6} aria-label="Upstream path parameters">
            <Text size="xs" c="dimmed">
              Uses:
            </Text>
            {targetParams.map((p) => (
              <Pill key={p.name} size="sm" bg={known.has(p.name) ? 'blue.0' : 'red.0'} c={known.has(p.name) ? 'blue.9' : 'red.9'}>
                {p.name}
                {known.has(p.name) ? '' : ' (not in path)'}
              </Pill>
            ))}
          </Group>
        )}

        <Divider label="Policies" labelPosition="left" />
        <Alert variant="light" color="gray" icon={<IconInfoCircle size={18} />} p="xs" role="note">
          <Text size="xs">A policy the gateway cannot enforce yet makes the endpoint fail closed (503): it is never served unprotected.</Text>
        </Alert>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Authentication"
            data={[
              { value: 'public', label: 'Public (no authentication)' },
              { value: 'apiKey', label: 'API key' },
              { value: 'jwt', label: 'JWT' },
              { value: 'oauth2', label: 'OAuth2 client credentials' },
              { value: 'webhook', label: 'Signed inbound webhook' },
            ]}
            value={pol.auth && pol.auth.type !== 'none' ? pol.auth.type : 'public'}
            onChange={(v) =>
              setPolicies((p) => {
                if (!v || v === 'public') {
                  delete p.auth;
                  return p;
                }
                // A webhook names signing secrets and carries no scopes or roles; the other types the reverse.
                const { secrets: s, toleranceSeconds: tol, scopes, roles, ...rest } = p.auth ?? { type: v as AuthType };
                return {
                  ...p,
                  auth: v === 'webhook' ? { ...rest, type: 'webhook', secrets: s ?? [], ...(tol !== undefined ? { toleranceSeconds: tol } : {}) } : { ...rest, type: v as AuthType, ...(scopes ? { scopes } : {}), ...(roles ? { roles } : {}) },
                };
              })
            }
            error={fe.at('/policies/auth/type') ?? fe.at('/policies/auth')}
            allowDeselect={false}
          />
          {pol.auth && !isWebhook && (
            <TagsInput
              label="Required scopes"
              description="Press Enter after each scope."
              value={pol.auth.scopes ?? []}
              onChange={(v) => setPolicies((p) => ({ ...p, auth: { ...p.auth!, scopes: v.length ? v : undefined } }))}
              error={fe.under('/policies/auth/scopes')}
            />
          )}
        </SimpleGrid>
        {isWebhook && pol.auth && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <MultiSelect
              label="Signing secrets"
              description={
                secrets.data && secrets.data.items.length === 0 ? (
                  <>
                    No secrets yet: an admin stores the sender's <Code>whsec_…</Code> value under{' '}
                    <Anchor component={Link} to="/secrets" size="xs">
                      Secrets
                    </Anchor>
                    .
                  </>
                ) : (
                  "The tenant secrets holding the sender's whsec_ value: one, or two while the sender rotates."
                )
              }
              data={secretNames}
              value={pol.auth.secrets ?? []}
              onChange={(v) => setPolicies((p) => ({ ...p, auth: { ...p.auth!, secrets: v } }))}
              maxValues={2}
              error={secretErrors(fe, pol.auth.secrets ?? []) ?? (secrets.error instanceof Error ? `The secrets could not be listed: ${secrets.error.message}` : undefined)}
              searchable
              nothingFoundMessage="No secret with that name"
              required
            />
            <NumberInput
              label="Timestamp tolerance (s)"
              description="How far the webhook-timestamp may be from now; empty: 300 s, at most 3600."
              min={0}
              max={3600}
              value={pol.auth.toleranceSeconds ?? ''}
              onChange={(v) =>
                setPolicies((p) => {
                  const { toleranceSeconds: _, ...rest } = p.auth!;
                  return { ...p, auth: v === '' ? rest : { ...rest, toleranceSeconds: Number(v) } };
                })
              }
              error={fe.at('/policies/auth/toleranceSeconds')}
              allowDecimal={false}
            />
          </SimpleGrid>
        )}

        <Switch
          label="Rate limit"
          checked={!!pol.rateLimit}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setPolicies((p) => {
              if (!on) {
                delete p.rateLimit;
                return p;
              }
              return { ...p, rateLimit: { algorithm: 'slidingWindow', scope: 'consumer', limit: 100, windowSeconds: 60 } };
            });
          }}
        />
        {pol.rateLimit && (
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Select
              label="Algorithm"
              data={[
                { value: 'fixedWindow', label: 'Fixed window' },
                { value: 'slidingWindow', label: 'Sliding window' },
                { value: 'tokenBucket', label: 'Token bucket' },
              ]}
              value={pol.rateLimit.algorithm}
              onChange={(v) => v && setPolicies((p) => ({ ...p, rateLimit: { ...p.rateLimit!, algorithm: v as RateLimitAlgorithm } }))}
              error={fe.at('/policies/rateLimit/algorithm')}
              allowDeselect={false}
            />
            <Select
              label="Per"
              data={[
                { value: 'consumer', label: 'Consumer' },
                { value: 'endpoint', label: 'Endpoint' },
                { value: 'tenant', label: 'Tenant' },
              ]}
              value={pol.rateLimit.scope}
              onChange={(v) => v && setPolicies((p) => ({ ...p, rateLimit: { ...p.rateLimit!, scope: v as RateLimitScope } }))}
              error={fe.at('/policies/rateLimit/scope')}
              allowDeselect={false}
            />
            <NumberInput
              label="Requests"
              value={pol.rateLimit.limit}
              onChange={(v) => setPolicies((p) => ({ ...p, rateLimit: { ...p.rateLimit!, limit: Number(v) || 0 } }))}
              error={fe.at('/policies/rateLimit/limit')}
              allowDecimal={false}
            />
            <NumberInput
              label="Window (s)"
              value={pol.rateLimit.windowSeconds}
              onChange={(v) => setPolicies((p) => ({ ...p, rateLimit: { ...p.rateLimit!, windowSeconds: Number(v) || 0 } }))}
              error={fe.at('/policies/rateLimit/windowSeconds')}
              allowDecimal={false}
            />
            {pol.rateLimit.algorithm === 'tokenBucket' && (
              <NumberInput
                label="Burst"
                value={pol.rateLimit.burst ?? 0}
                onChange={(v) => setPolicies((p) => ({ ...p, rateLimit: { ...p.rateLimit!, burst: Number(v) || undefined } }))}
                error={fe.at('/policies/rateLimit/burst')}
                allowDecimal={false}
              />
            )}
          </SimpleGrid>
        )}

        <Switch
          label="Cache responses"
          checked={!!pol.cache}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setPolicies((p) => {
              if (!on) {
                delete p.cache;
                return p;
              }
              return { ...p, cache: { ttlSeconds: 60 } };
            });
          }}
        />
        {(pol.cache || fe.at('/policies/cache')) && (
          <Stack gap={4}>
            {pol.cache && (
              <NumberInput
                label="Time to live (s)"
                w={200}
                value={pol.cache.ttlSeconds}
                onChange={(v) => setPolicies((p) => ({ ...p, cache: { ...p.cache!, ttlSeconds: Number(v) || 0 } }))}
                error={fe.at('/policies/cache/ttlSeconds')}
                allowDecimal={false}
              />
            )}
            {pol.cache && (
              <NumberInput
                label="Serve stale on upstream error (s)"
                description="Empty: as the upstream's Cache-Control stale-if-error says; 0: never"
                w={320}
                min={0}
                value={pol.cache.staleIfErrorSeconds ?? ''}
                onChange={(v) =>
                  setPolicies((p) => {
                    const { staleIfErrorSeconds: _, ...rest } = p.cache!;
                    return { ...p, cache: v === '' ? rest : { ...rest, staleIfErrorSeconds: Number(v) } };
                  })
                }
                error={fe.at('/policies/cache/staleIfErrorSeconds')}
                allowDecimal={false}
              />
            )}
            {(fe.at('/policies/cache') || fe.under('/policies/cache/methods')) && (
              <Text size="sm" c="red.8" role="alert">
                {fe.at('/policies/cache') ?? fe.under('/policies/cache/methods')}
              </Text>
            )}
          </Stack>
        )}

        <Switch
          label="CORS"
          checked={!!pol.cors}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setPolicies((p) => {
              if (!on) {
                delete p.cors;
                return p;
              }
              return { ...p, cors: { allowOrigins: [] } };
            });
          }}
        />
        {pol.cors && (
          <TagsInput
            label="Allowed origins"
            description='Origins like https://app.example.com, or "*". Press Enter after each.'
            value={pol.cors.allowOrigins}
            onChange={(v) => setPolicies((p) => ({ ...p, cors: { ...p.cors!, allowOrigins: v } }))}
            error={fe.under('/policies/cors/allowOrigins') ?? fe.under('/policies/cors')}
          />
        )}

        {showTransforms && (
          <>
            <Divider label="Transforms" labelPosition="left" />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {(['requestTransforms', 'responseTransforms'] as const).map((side) => {
                const refs = pol[side] ?? [];
                const each = refs.some((t) => t.each);
                const refsOf = (names: string[], bulk: boolean) => (names.length ? names.map((transform) => (bulk ? { transform, each: true } : { transform })) : undefined);
                return (
                  <Stack key={side} gap={6}>
                    <MultiSelect
                      label={side === 'requestTransforms' ? 'Request transforms' : 'Response transforms'}
                      description={side === 'requestTransforms' ? 'Applied in this order before the target is called.' : 'Applied in this order to the answer.'}
                      data={transformOptions}
                      value={refs.map((t) => t.transform)}
                      onChange={(v) => setPolicies((p) => ({ ...p, [side]: refsOf(v, each) }))}
                      error={fe.under('/policies/' + side)}
                      searchable
                    />
                    <Checkbox
                      label="To each record of an array body (bulk)"
                      description="The body must be a JSON array; each element is transformed, records in parallel."
                      checked={each}
                      disabled={refs.length === 0}
                      onChange={(e) => {
                        const bulk = e.currentTarget.checked;
                        setPolicies((p) => ({ ...p, [side]: refsOf((p[side] ?? []).map((t) => t.transform), bulk) }));
                      }}
                    />
                  </Stack>
                );
              })}
            </SimpleGrid>
          </>
        )}

        <ErrorAlert
          error={save.error && submitErrors.length === 0 ? save.error : undefined}
          fieldErrors={fe.unclaimed(claimedHere)}
        />
        <Group justify="space-between">
          <Text size="xs" c="dimmed" aria-live="polite">
            {!touched ? '' : dry.checking ? 'Checking…' : fe.size === 0 ? 'No problems found.' : `${fe.size} problem${fe.size === 1 ? '' : 's'} to fix.`}
          </Text>
          <Group>
            <Button variant="default" onClick={onDone}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {initial ? 'Save endpoint' : 'Add endpoint'}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * secretErrors is what the server said about an inbound webhook's secrets:
 * the list as a whole, and each named one by its name (its pointer is
 * /policies/auth/secrets/<i>).
 */
function secretErrors(fe: FieldErrors, names: string[]): string | undefined {
  const out: string[] = [];
  const whole = fe.at('/policies/auth/secrets');
  if (whole) out.push(whole);
  names.forEach((n, i) => {
    const d = fe.under(`/policies/auth/secrets/${i}`);
    if (d) out.push(`${n}: ${d}`);
  });
  const others = fe.all.filter((e) => /^\/policies\/auth\/secrets\/\d+/.test(e.pointer) && Number(e.pointer.split('/')[4]) >= names.length);
  out.push(...others.map((e) => e.detail));
  return out.length ? out.join('; ') : undefined;
}

export function MethodBadge({ method }: { method: string }) {
  const color: Record<string, string> = { GET: 'blue', POST: 'green', PUT: 'orange', PATCH: 'grape', DELETE: 'red', ANY: 'dark' };
  return (
    <Badge variant="light" color={color[method] ?? 'gray'} radius="sm" w={72} ff="monospace">
      {method}
    </Badge>
  );
}
