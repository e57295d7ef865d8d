import { Anchor, Center, Loader, Paper, Stack, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { remember } from '../auth/session';
import { completeSignIn } from '../auth/oidc';
import type { OidcConfig } from '../auth/config';
import { ErrorAlert } from '../components/common';
import { useOidcConfig } from './SignIn';

// One exchange per callback URL: the code and the pending state are single
// use, and React may run an effect twice.
const inflight = new Map<string, ReturnType<typeof completeSignIn>>();

function finish(cfg: OidcConfig, href: string) {
  let p = inflight.get(href);
  if (!p) {
    p = completeSignIn(cfg, new URL(href));
    inflight.set(href, p);
  }
  return p;
}

/**
 * AuthCallback is where the identity provider sends the browser back
 * ({base}auth/callback?code&state): the code is exchanged, the ID token kept
 * for this tab, and the console reloads where sign-in started.
 */
export function AuthCallback() {
  const cfg = useOidcConfig();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (cfg.isPending) return;
    if (cfg.isError) {
      setError(cfg.error);
      return;
    }
    if (!cfg.data) {
      setError(new Error('This console has no identity provider configured.'));
      return;
    }
    let live = true;
    finish(cfg.data, window.location.href).then(
      (s) => {
        remember({ token: s.token, expiresAt: s.expiresAt, logoutUrl: s.logoutUrl });
        const to = s.returnTo.startsWith('/') && !s.returnTo.startsWith('//') ? s.returnTo : '/apis';
        // A full load: the session provider reads the new token at start.
        window.location.replace(import.meta.env.BASE_URL.replace(/\/$/, '') + to);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [cfg.isPending, cfg.isError, cfg.error, cfg.data]);

  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper withBorder shadow="sm" radius="md" p="xl" w={440} component="main">
        {error ? (
          <Stack>
            <Title order={1} size="h3">
              Sign-in failed
            </Title>
            <ErrorAlert error={error} title="Sign-in failed" />
            <Anchor component={Link} to="/signin">
              Back to sign in
            </Anchor>
          </Stack>
        ) : (
          <Center>
            <Loader size="sm" aria-label="Signing in" />
          </Center>
        )}
      </Paper>
    </Center>
  );
}
