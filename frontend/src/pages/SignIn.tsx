import { Button, Center, Loader, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import type { Role } from '../api/types';
import { ErrorAlert } from '../components/common';
import { Logo } from '../components/Layout';
import { ROLES } from '../auth/roles';
import { useSession } from '../auth/session';
import { loadOidcConfig, type OidcConfig } from '../auth/config';
import { FieldErrors } from '../lib/problem';

/** useOidcConfig is config.json's sign-in settings: null in local mode, an error (ConfigError) when config.json is unusable. */
export function useOidcConfig() {
  return useQuery({ queryKey: ['console-config'], queryFn: ({ signal }) => loadOidcConfig(signal), staleTime: Infinity, retry: false });
}

/**
 * SignIn offers the organisation's identity provider (Cognito's hosted UI
 * in AWS: authorization code + PKCE) when config.json names one, else the
 * local dev login (POST /admin/v1/auth/dev-login): pick a tenant, an email
 * and a role.
 */
export function SignIn() {
  const cfg = useOidcConfig();
  const { token } = useSession();
  const loc = useLocation();
  if (token) {
    const from = (loc.state as { from?: string } | null)?.from ?? '/apis';
    return <Navigate to={from} replace />;
  }
  if (cfg.isPending) {
    return (
      <Center mih="100vh">
        <Loader size="sm" aria-label="Loading" />
      </Center>
    );
  }
  if (cfg.isError) {
    return (
      <SignInCard subtitle="The console's sign-in settings are broken, so it cannot offer a sign-in.">
        <ErrorAlert error={cfg.error} title="The console is misconfigured" />
        <Button variant="default" onClick={() => void cfg.refetch()} loading={cfg.isFetching} fullWidth>
          Try again
        </Button>
      </SignInCard>
    );
  }
  return cfg.data ? <OidcSignIn cfg={cfg.data} /> : <DevSignIn />;
}

function SignInCard({ subtitle, children }: { subtitle: string; children: ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper withBorder shadow="sm" radius="md" p="xl" w={400} component="main">
        <Stack gap="lg">
          <Stack gap={6} align="center">
            <Logo size={40} />
            <Title order={1} size="h3">
              Sign in to Portico
            </Title>
            <Text size="sm" c="dimmed" ta="center">
              {subtitle}
            </Text>
          </Stack>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

function OidcSignIn({ cfg }: { cfg: OidcConfig }) {
  const loc = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      const { authorizationURL } = await import('../auth/oidc');
      const from = (loc.state as { from?: string } | null)?.from ?? '/apis';
      window.location.assign(await authorizationURL(cfg, from));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <SignInCard subtitle="Sign in with your organisation's account; you come back here afterwards.">
      {error ? <ErrorAlert error={error} title="The identity provider could not be reached" /> : null}
      <Button onClick={go} loading={busy} fullWidth>
        Sign in with your organisation
      </Button>
    </SignInCard>
  );
}

function DevSignIn() {
  const { signIn } = useSession();
  const [tenant, setTenant] = useState('demo');
  const [email, setEmail] = useState('owner@demo.local');
  const [role, setRole] = useState<Role>('owner');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const fe = new FieldErrors(error instanceof ApiError ? error.fieldErrors : []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(tenant.trim(), email.trim(), role);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <SignInCard subtitle="Local development sign-in: choose a tenant, your email and the role to act as.">
      <form onSubmit={submit} noValidate aria-label="Sign in">
        <Stack>
          <TextInput label="Tenant" value={tenant} onChange={(e) => setTenant(e.currentTarget.value)} error={fe.at('/tenant')} required autoComplete="organization" data-autofocus />
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fe.at('/email')} required autoComplete="email" />
          <Select
            label="Role"
            data={ROLES.map((r) => ({ value: r, label: r[0]!.toUpperCase() + r.slice(1) }))}
            value={role}
            onChange={(v) => v && setRole(v as Role)}
            error={fe.at('/role')}
            allowDeselect={false}
            required
          />
          {error && fe.size === 0 ? <ErrorAlert error={error} title="Sign-in failed" /> : null}
          <Button type="submit" loading={busy} fullWidth>
            Sign in
          </Button>
        </Stack>
      </form>
    </SignInCard>
  );
}
