import { Stack, Text, Title, Anchor } from '@mantine/core';
import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Link, Navigate, Outlet, RouterProvider, useLocation } from 'react-router';
import { useSession } from './auth/session';
import { Layout } from './components/Layout';
import { PageLoading } from './components/common';
import { SignIn } from './pages/SignIn';
import { Apis } from './pages/Apis';

// Screens beyond the first are split into their own chunks.
const ApiDetail = lazy(() => import('./pages/ApiDetail').then((m) => ({ default: m.ApiDetail })));
const Integrations = lazy(() => import('./pages/Integrations').then((m) => ({ default: m.Integrations })));
const Consumers = lazy(() => import('./pages/Consumers').then((m) => ({ default: m.Consumers })));
const Secrets = lazy(() => import('./pages/Secrets').then((m) => ({ default: m.Secrets })));
const ConsumerDetail = lazy(() => import('./pages/ConsumerDetail').then((m) => ({ default: m.ConsumerDetail })));
const JwtIssuers = lazy(() => import('./pages/JwtIssuers').then((m) => ({ default: m.JwtIssuers })));
const Transforms = lazy(() => import('./pages/Transforms').then((m) => ({ default: m.Transforms })));
const TransformEditor = lazy(() => import('./pages/TransformEditor').then((m) => ({ default: m.TransformEditor })));
const Workflows = lazy(() => import('./pages/Workflows').then((m) => ({ default: m.Workflows })));
const WorkflowBuilder = lazy(() => import('./pages/WorkflowBuilder').then((m) => ({ default: m.WorkflowBuilder })));
const WorkflowExecution = lazy(() => import('./pages/WorkflowExecution').then((m) => ({ default: m.WorkflowExecution })));
const Webhooks = lazy(() => import('./pages/Webhooks').then((m) => ({ default: m.Webhooks })));
const Audit = lazy(() => import('./pages/Audit').then((m) => ({ default: m.Audit })));
const Members = lazy(() => import('./pages/Members').then((m) => ({ default: m.Members })));
const AuthCallback = lazy(() => import('./pages/AuthCallback').then((m) => ({ default: m.AuthCallback })));



function RequireAuth({ children }: { children: ReactNode }) {
  const { token, loading } = useSession();
  const loc = useLocation();
  if (!token) return <Navigate to="/signin" replace state={{ from: loc.pathname + loc.search }} />;
  if (loading) return <PageLoading />;
  return <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const { can } = useSession();
  return can('readAudit') ? <>{children}</> : <NotFound />;
}

function NotFound() {
  return (
    <Stack align="center" py="xl">
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">There is nothing here, or your role cannot see it.</Text>
      <Anchor component={Link} to="/apis">
        Back to APIs
      </Anchor>
    </Stack>
  );
}

export const routes = [
  { path: '/signin', element: <SignIn /> },
  {
    path: '/auth/callback',
    element: (
      <Suspense fallback={<PageLoading />}>
        <AuthCallback />
      </Suspense>
    ),
  },
  {
    path: '/',
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="/apis" replace /> },
      {
        element: (
          <Suspense fallback={<PageLoading />}>
            <Outlet />
          </Suspense>
        ),
        children: [
          { path: 'apis', element: <Apis /> },
          { path: 'apis/:api', element: <ApiDetail /> },
          { path: 'integrations', element: <Integrations /> },
          { path: 'consumers', element: <Consumers /> },
          { path: 'consumers/:consumer', element: <ConsumerDetail /> },
          { path: 'secrets', element: <Secrets /> },
          { path: 'jwt-issuers', element: <JwtIssuers /> },
          { path: 'transforms', element: <Transforms /> },
          { path: 'transforms/:transform', element: <TransformEditor /> },
          { path: 'workflows', element: <Workflows /> },
          { path: 'webhooks', element: <Webhooks /> },
          { path: 'workflows/:workflow', element: <WorkflowBuilder /> },
          { path: 'workflows/:workflow/executions/:execution', element: <WorkflowExecution /> },
          {
            path: 'audit',
            element: (
              <RequireAdmin>
                <Audit />
              </RequireAdmin>
            ),
          },
          { path: 'members', element: <Members /> },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
];

const router = createBrowserRouter(routes, { basename: import.meta.env.BASE_URL.replace(/\/$/, '') });

export function App() {
  return <RouterProvider router={router} />;
}
