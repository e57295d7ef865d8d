import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { mockApi, renderAs } from '../test/render';
import { IssuerForm } from './JwtIssuers';

describe('IssuerForm', () => {
  it("maps the server's problem pointers onto the fields, and drops a field's message once it is edited", async () => {
    const calls = mockApi((method, path) => {
      if (method === 'POST' && path === '/jwt-issuers')
        return {
          status: 400,
          body: {
            status: 400,
            title: 'Invalid request',
            errors: [
              { pointer: '/jwksUrl', detail: 'must be an absolute https URL' },
              { pointer: '/audiences/1', detail: 'must be an audience (printable ASCII, no spaces)' },
              { pointer: '/scopeClaim', detail: 'must be a claim name' },
              { pointer: '/owner', detail: 'is not a field' },
            ],
          },
        };
      return undefined;
    });
    const onDone = vi.fn();
    renderAs('admin', <IssuerForm onDone={onDone} />);
    const user = userEvent.setup();
    const form = screen.getByRole('form', { name: 'New JWT issuer' });
    await user.type(within(form).getByRole('textbox', { name: /^Slug/ }), 'corp');
    await user.type(within(form).getByRole('textbox', { name: /^Issuer/ }), 'https://corp/');
    await user.type(within(form).getByRole('textbox', { name: /JWKS URL/ }), 'http://corp/jwks');
    await user.click(within(form).getByRole('button', { name: 'Create issuer' }));

    const jwks = within(form).getByRole('textbox', { name: /JWKS URL/ });
    expect(await within(form).findByText('must be an absolute https URL')).toBeInTheDocument();
    expect(jwks).toHaveAttribute('aria-invalid', 'true');
    // An item of a list is named in the list's message.
    expect(within(form).getByText('#2: must be an audience (printable ASCII, no spaces)')).toBeInTheDocument();
    expect(within(form).getByText('must be a claim name')).toBeInTheDocument();
    // What no field shows goes to the summary.
    expect(within(form).getByRole('alert')).toHaveTextContent('owner: is not a field');

    // Sent without empty optional fields, with the algorithm allowlist.
    expect(calls[0]?.body).toEqual({ slug: 'corp', issuer: 'https://corp/', jwksUrl: 'http://corp/jwks', audiences: [], algorithms: ['RS256', 'ES256'] });

    await user.type(jwks, 'x');
    expect(within(form).queryByText('must be an absolute https URL')).not.toBeInTheDocument();
    expect(within(form).getByText('must be a claim name')).toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });
});
