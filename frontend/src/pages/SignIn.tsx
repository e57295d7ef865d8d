import { Button, Center, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import type { Role } from '../api/types';
import { ErrorAlert } from '../components/common';
import { Logo } from '../components/Layout';
import { ROLES } from '../auth/roles';
import { useSession } from '../auth/session';
import { FieldErrors } from '../lib/problem';

/**
 * SignIn is the local dev login (POST /admin/v1/auth/dev-login): pick a
 * tenant, an email and a role. In AWS the console signs in through Cognito's
 * hosted UI instead (a later step of the console issue).
 */
export function SignIn() {
  const { token, signIn } = useSession();
  const loc = useLocation();
  const [tenant, setTenant] = useState('demo');
  const [email, setEmail] = useState('owner@demo.local');
  const [role, setRole] = useState<Role>('owner');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (token) {
    const from = (loc.state as { from?: string } | null)?.from ?? '/apis';
    return <Navigate to={from} replace />;
  }
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
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper withBorder shadow="sm" radius="md" p="xl" w={400} component="main">
        <Stack gap="lg">
          <Stack gap={6} align="center">
            <Logo size={40} />
            <Title order={1} size="h3">
              Sign in to Portico
            </Title>
            <Text size="sm" c="dimmed" ta="center">
              Local development sign-in: choose a tenant, your email and the role to act as.
            </Text>
          </Stack>
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
        </Stack>
      </Paper>
    </Center>
  );
}

