import { AppShell, Badge, Burger, Button, Group, NavLink, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconApi, IconCertificate, IconKey, IconSitemap, IconHistory, IconTransform, IconPlugConnected, IconUsers, IconUsersGroup, IconLogout, IconWebhook } from '@tabler/icons-react';
import type { ComponentType } from 'react';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { forget, useSession } from '../auth/session';
import type { Permission } from '../auth/roles';

interface NavItem {
  to: string;
  label: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
  /** Shown only to roles with this permission. */
  needs?: Permission;
}

interface NavSection {
  label: string;
  items: NavItem[];
}

/**
 * The navigation, by section. Later issues add their screens here (workflows
 * under Build; monitoring and API docs under Operate) when they exist: no
 * entry points at a page that does not work yet.
 */
export const navSections: NavSection[] = [
  {
    label: 'Build',
    items: [
      { to: '/apis', label: 'APIs', icon: IconApi },
      { to: '/integrations', label: 'Integrations', icon: IconPlugConnected },
      { to: '/transforms', label: 'Transforms', icon: IconTransform },
      { to: '/workflows', label: 'Workflows', icon: IconSitemap },
      { to: '/webhooks', label: 'Webhooks', icon: IconWebhook },
    ],
  },
  {
    label: 'Access',
    items: [
      { to: '/consumers', label: 'Consumers', icon: IconUsersGroup },
      { to: '/jwt-issuers', label: 'JWT issuers', icon: IconCertificate },
      { to: '/secrets', label: 'Secrets', icon: IconKey },
    ],
  },
  {
    label: 'Govern',
    items: [
      { to: '/audit', label: 'Audit log', icon: IconHistory, needs: 'readAudit' },
      { to: '/members', label: 'Members', icon: IconUsers },
    ],
  },
];

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const { me, can } = useSession();
  const loc = useLocation();
  // Signing out reloads the sign-in page: nothing of this session stays in
  // memory, and the next user does not land on a page their role may not see.
  const leave = () => {
    forget();
    window.location.replace(import.meta.env.BASE_URL + 'signin');
  };
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Logo />
            <Title order={1} size="h4" fw={700}>
              Portico
            </Title>
            {me && (
              <Badge variant="light" color="gray" size="lg" radius="sm" tt="none" aria-label={`Tenant ${me.tenant}`}>
                {me.tenant}
              </Badge>
            )}
          </Group>
          <Group gap="sm">
            {me && (
              <>
                <Text size="sm" c="dimmed" visibleFrom="xs">
                  {me.email}
                </Text>
                <Badge variant="outline" radius="sm" aria-label={`Role ${me.role}`}>
                  {me.role}
                </Badge>
              </>
            )}
            <Button variant="subtle" color="gray" size="xs" leftSection={<IconLogout size={16} />} onClick={leave}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <ScrollArea>
          <Stack gap="md">
            {navSections.map((s) => {
              const items = s.items.filter((i) => !i.needs || can(i.needs));
              if (items.length === 0) return null;
              return (
                <nav key={s.label} aria-label={s.label}>
                  <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mb={4}>
                    {s.label}
                  </Text>
                  {items.map((i) => (
                    <NavLink
                      key={i.to}
                      component={RouterLink}
                      to={i.to}
                      label={i.label}
                      leftSection={<i.icon size={18} stroke={1.6} />}
                      active={loc.pathname === i.to || loc.pathname.startsWith(i.to + '/')}
                      onClick={close}
                      style={{ borderRadius: 6 }}
                    />
                  ))}
                </nav>
              );
            })}
          </Stack>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="var(--mantine-color-blue-7)" />
      <path d="M9 24V8h8a5 5 0 0 1 0 10h-4v6z" fill="white" />
    </svg>
  );
}
