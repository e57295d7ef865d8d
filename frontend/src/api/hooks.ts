import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, getPage, seg } from './client';
import type { Api, ApiKey, Consumer, Endpoint, Integration, JwtIssuer, Member, OAuthClient, TenantSecret, Transform, Version, Workflow, Execution } from './types';
import type { StoredModule, WebhookDelivery, WebhookSubscription } from './types';

/** Query keys: one place, so mutations invalidate exactly what they change. */
export const keys = {
  apis: ['apis'] as const,
  api: (a: string) => ['apis', a] as const,
  versions: (a: string) => ['apis', a, 'versions'] as const,
  endpoints: (a: string, v: string) => ['apis', a, 'versions', v, 'endpoints'] as const,
  integrations: ['integrations'] as const,
  consumers: ['consumers'] as const,
  consumer: (c: string) => ['consumers', c] as const,
  keys: (c: string) => ['consumers', c, 'keys'] as const,
  clients: (c: string) => ['consumers', c, 'clients'] as const,
  jwtIssuers: ['jwt-issuers'] as const,
  transforms: ['transforms'] as const,
  transform: (t: string) => ['transforms', t] as const,
  workflows: ['workflows'] as const,
  workflow: (w: string) => ['workflows', w] as const,
  definition: (w: string, deployed: boolean) => ['workflows', w, 'definition', deployed] as const,
  executions: (w: string) => ['workflows', w, 'executions'] as const,
  execution: (w: string, id: string) => ['workflows', w, 'executions', id] as const,
  members: ['members'] as const,
  secrets: ['secrets'] as const,
  webhooks: ['webhooks'] as const,
  deliveries: (w: string) => ['webhooks', w, 'deliveries'] as const,
  modules: ['transform-modules'] as const,
  audit: ['audit'] as const,
};

// Lists ask for up to 500 items (the server's page limit); tenants with more
// get a "load more" where it matters (the audit log).
const many = '?limit=500';

export const useApis = () =>
  useQuery({ queryKey: keys.apis, queryFn: ({ signal }) => getPage<Api>('/apis' + many, signal) });

export const useApi = (a: string) =>
  useQuery({ queryKey: keys.api(a), queryFn: ({ signal }) => api.get<Api>(`/apis/${seg(a)}`, signal) });

export const useVersions = (a: string) =>
  useQuery({ queryKey: keys.versions(a), queryFn: ({ signal }) => getPage<Version>(`/apis/${seg(a)}/versions${many}`, signal) });

export const useEndpoints = (a: string, v: string | undefined) =>
  useQuery({
    queryKey: keys.endpoints(a, v ?? ''),
    queryFn: ({ signal }) => getPage<Endpoint>(`/apis/${seg(a)}/versions/${seg(v ?? '')}/endpoints`, signal),
    enabled: !!v,
  });

export const useIntegrations = () =>
  useQuery({ queryKey: keys.integrations, queryFn: ({ signal }) => getPage<Integration>('/integrations' + many, signal) });

export const useConsumers = () =>
  useQuery({ queryKey: keys.consumers, queryFn: ({ signal }) => getPage<Consumer>('/consumers' + many, signal) });

export const useSecrets = (enabled = true) =>
  useQuery({ queryKey: keys.secrets, queryFn: ({ signal }) => getPage<TenantSecret>('/secrets' + many, signal), enabled });

export const useWebhooks = () =>
  useQuery({ queryKey: keys.webhooks, queryFn: ({ signal }) => getPage<WebhookSubscription>('/webhooks' + many, signal) });

/** A subscription's delivery log, newest first, 50 a page; read again every few seconds while a delivery is pending. */
export const useDeliveries = (w: string) =>
  useInfiniteQuery({
    queryKey: keys.deliveries(w),
    queryFn: ({ pageParam, signal }) =>
      getPage<WebhookDelivery>(`/webhooks/${seg(w)}/deliveries?limit=50${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, signal),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor || undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((d) => d.state === 'pending')) ? 3000 : false),
  });

/** The tenant's stored wasm modules (not paged: GET /transform-modules answers them all). */
export const useModules = () =>
  useQuery({ queryKey: keys.modules, queryFn: ({ signal }) => getPage<StoredModule>('/transform-modules', signal) });

export const useMembers = () =>
  useQuery({ queryKey: keys.members, queryFn: ({ signal }) => getPage<Member>('/members', signal) });

export const useConsumer = (c: string) =>
  useQuery({ queryKey: keys.consumer(c), queryFn: ({ signal }) => api.get<Consumer>(`/consumers/${seg(c)}`, signal) });

export const useKeys = (c: string) =>
  useQuery({ queryKey: keys.keys(c), queryFn: ({ signal }) => getPage<ApiKey>(`/consumers/${seg(c)}/keys${many}`, signal) });

export const useClients = (c: string) =>
  useQuery({ queryKey: keys.clients(c), queryFn: ({ signal }) => getPage<OAuthClient>(`/consumers/${seg(c)}/clients`, signal) });

export const useJwtIssuers = () =>
  useQuery({ queryKey: keys.jwtIssuers, queryFn: ({ signal }) => getPage<JwtIssuer>('/jwt-issuers' + many, signal) });

export const useTransforms = () =>
  useQuery({ queryKey: keys.transforms, queryFn: ({ signal }) => getPage<Transform>('/transforms' + many, signal) });

export const useTransform = (t: string, enabled = true) =>
  useQuery({ queryKey: keys.transform(t), queryFn: ({ signal }) => api.get<Transform>(`/transforms/${seg(t)}`, signal), enabled });

export const useWorkflows = () =>
  useQuery({ queryKey: keys.workflows, queryFn: ({ signal }) => getPage<Workflow>('/workflows' + many, signal) });

export const useWorkflow = (w: string, enabled = true) =>
  useQuery({ queryKey: keys.workflow(w), queryFn: ({ signal }) => api.get<Workflow>(`/workflows/${seg(w)}`, signal), enabled });

/** The compiled Amazon States Language: of the saved model, or (deployed) of the last publish. */
export const useWorkflowDefinition = (w: string, deployed: boolean, enabled = true) =>
  useQuery({
    queryKey: keys.definition(w, deployed),
    queryFn: ({ signal }) => api.get<unknown>(`/workflows/${seg(w)}/definition${deployed ? '?deployed=true' : ''}`, signal),
    enabled,
    retry: false,
  });

export const useExecution = (w: string, id: string) =>
  useQuery({
    queryKey: keys.execution(w, id),
    queryFn: ({ signal }) => api.get<Execution>(`/workflows/${seg(w)}/executions/${seg(id)}`, signal),
    // A running standard execution is brought up to date when read.
    refetchInterval: (q) => (q.state.data?.status === 'RUNNING' ? 2000 : false),
  });
