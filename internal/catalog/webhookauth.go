package catalog

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/portico/portico/internal/model"
)

// checkEndpointSecrets runs inside an endpoint's commit: every secret its
// inbound webhook policy names must exist.
func (c *Catalog) checkEndpointSecrets(ctx context.Context, tenant string, ep *model.Endpoint, errs *model.Errors) error {
	a := ep.Policies.Auth
	if a == nil || a.Type != model.AuthWebhook {
		return nil
	}
	for i, name := range a.Secrets {
		_, err := c.GetSecret(ctx, tenant, name)
		switch {
		case errors.Is(err, ErrNotFound):
			errs.Add("/policies/auth/secrets/"+strconv.Itoa(i), "names no secret of this tenant; create it first (PUT /admin/v1/secrets/%s)", name)
		case err != nil:
			return err
		}
	}
	return nil
}

// endpointSecretUsers returns the endpoints (api/version/id) whose inbound
// webhook policy names the secret, sorted.
func (c *Catalog) endpointSecretUsers(ctx context.Context, tenant, name string) ([]string, error) {
	eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, ep := range eps {
		if a := ep.Policies.Auth; a != nil && a.Type == model.AuthWebhook && slices.Contains(a.Secrets, name) {
			users = append(users, ep.API+"/"+ep.Version+"/"+ep.ID)
		}
	}
	slices.Sort(users)
	return users, nil
}
