import { useQuery } from '@tanstack/react-query';
import { api, getPage, seg } from './client';
import type { Api, Consumer, Endpoint, Integration, Member, Version } from './types';

/** Query keys: one place, so mutations invalidate exactly what they change. */
export const keys = {
  apis: ['apis'] as const,
  api: (a: string) => ['apis', a] as const,
  versions: (a: string) => ['apis', a, 'versions'] as const,
  endpoints: (a: string, v: string) => ['apis', a, 'versions', v, 'endpoints'] as const,
  integrations: ['integrations'] as const,
  consumers: ['consumers'] as const,
  members: ['members'] as const,
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

export const useMembers = () =>
  useQuery({ queryKey: keys.members, queryFn: ({ signal }) => getPage<Member>('/members', signal) });
